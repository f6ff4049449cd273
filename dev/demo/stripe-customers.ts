import type Stripe from 'stripe';

/**
 * A Stripe customer with a test payment method attached, through the public API, so the same
 * code seeds the simulator or a real Stripe test-mode account.
 */
export async function createStripeCustomer(stripe: Stripe, testPaymentMethod: string, email: string): Promise<{ customerId: string; paymentMethodId: string }> {
  const customer = await stripe.customers.create({ email, description: 'invoice-charging demo customer' });
  const method = await stripe.paymentMethods.attach(testPaymentMethod, { customer: customer.id });
  return { customerId: customer.id, paymentMethodId: method.id };
}
