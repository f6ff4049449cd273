import Stripe from 'stripe';

/**
 * A Stripe customer with a test payment method attached, through the public API, so the same
 * code seeds the simulator or a real Stripe test-mode account.
 *
 * Stripe validates a card when it is attached, so a declining test card (other than
 * pm_card_chargeCustomerFail) is refused with its decline, and the simulator refuses it the same
 * way. Against the simulator such a card is saved through its seeding endpoint instead (a saved
 * card that started declining later); against Stripe the refusal stands.
 */
export async function createStripeCustomer(stripe: Stripe, testPaymentMethod: string, email: string): Promise<{ customerId: string; paymentMethodId: string }> {
  const customer = await stripe.customers.create({ email, description: 'invoice-charging demo customer' });
  try {
    const method = await stripe.paymentMethods.attach(testPaymentMethod, { customer: customer.id });
    return { customerId: customer.id, paymentMethodId: method.id };
  } catch (err) {
    const simulator = simulatorBase(stripe);
    if (!(err instanceof Stripe.errors.StripeCardError) || simulator === undefined) throw err;
    return seedOnSimulator(simulator, testPaymentMethod, email);
  }
}

/** The simulator's base URL when the client points anywhere but api.stripe.com. */
function simulatorBase(stripe: Stripe): string | undefined {
  const host: unknown = stripe.getApiField('host');
  if (typeof host !== 'string' || host === '' || host === 'api.stripe.com') return undefined;
  const protocol: unknown = stripe.getApiField('protocol');
  const port: unknown = stripe.getApiField('port');
  return `${typeof protocol === 'string' ? protocol : 'http'}://${host}:${typeof port === 'number' || typeof port === 'string' ? String(port) : '80'}`;
}

async function seedOnSimulator(base: string, testPaymentMethod: string, email: string): Promise<{ customerId: string; paymentMethodId: string }> {
  const res = await fetch(`${base}/_sim/customers`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ paymentMethod: testPaymentMethod, email }),
  });
  const body = (await res.json()) as { customerId?: string; paymentMethodId?: string; error?: { message?: string } };
  if (!res.ok || !body.customerId || !body.paymentMethodId) {
    throw new Error(`simulator seeding of ${testPaymentMethod} failed: ${body.error?.message ?? res.status}`);
  }
  return { customerId: body.customerId, paymentMethodId: body.paymentMethodId };
}
