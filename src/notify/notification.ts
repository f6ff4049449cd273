/**
 * What we tell the business when a customer must authenticate (3-D Secure). Someone who only
 * needs to confirm a payment is never told the payment "failed".
 */
import { formatMoney } from '../billing/money';
import type { AuthenticationFacts } from '../billing/authentication';

export type { AuthenticationFacts } from '../billing/authentication';

export type AuthenticationNotificationType =
  | 'invoice.authentication_required'
  | 'invoice.authentication_reminder'
  | 'invoice.authentication_expired';

export interface AuthenticationNotification {
  /** Stable per event, so a receiver can drop duplicates of a retried delivery. */
  id: string;
  type: AuthenticationNotificationType;
  invoice_id: number;
  customer_id: number | null;
  stripe_customer_id: string | null;
  payment_intent_id: string;
  amount_cents: number | null;
  currency: string;
  /** What the customer must do, in words a support agent can forward. */
  action: string;
  expires_at: string | null;
  reminder_number: number;
  created_at: string;
}


export function buildAuthenticationNotification(
  type: AuthenticationNotificationType, facts: AuthenticationFacts, reminderNumber: number, now: Date,
): AuthenticationNotification {
  const amount = facts.amountCents === null ? 'the invoice amount' : formatMoney(facts.amountCents, facts.currency);
  const deadline = facts.expiresAt ? ` before ${facts.expiresAt.toISOString()}` : '';
  const action = {
    'invoice.authentication_required':
      `The customer's bank asks them to confirm the payment of ${amount} for invoice ${facts.invoiceId} (3-D Secure). ` +
      `Ask them to complete authentication for PaymentIntent ${facts.paymentIntentId}${deadline}. No money has been taken yet.`,
    'invoice.authentication_reminder':
      `Reminder ${reminderNumber}: the payment of ${amount} for invoice ${facts.invoiceId} still awaits the customer's ` +
      `confirmation (3-D Secure, PaymentIntent ${facts.paymentIntentId})${deadline}. No money has been taken yet.`,
    'invoice.authentication_expired':
      `The customer did not confirm the payment of ${amount} for invoice ${facts.invoiceId} in time, so it was not taken. ` +
      'The invoice needs a new payment (or a new payment method on file).',
  }[type];
  return {
    id: `${type}:${facts.paymentIntentId}:${reminderNumber}`,
    type,
    invoice_id: facts.invoiceId,
    customer_id: facts.customerId,
    stripe_customer_id: facts.stripeCustomerId,
    payment_intent_id: facts.paymentIntentId,
    amount_cents: facts.amountCents,
    currency: facts.currency,
    action,
    expires_at: facts.expiresAt?.toISOString() ?? null,
    reminder_number: reminderNumber,
    created_at: now.toISOString(),
  };
}
