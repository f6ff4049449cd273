/**
 * The exact PaymentIntent request of an attempt. Built only from what the attempt row stores,
 * so a retry or a recovery re-sends byte-identical parameters under the same idempotency key.
 */
import type Stripe from 'stripe';
import { formatMoney } from '../billing/money';
import type { AttemptRecord } from '../db/transitions';

export interface StoredChargeAttempt extends AttemptRecord {
  idempotencyKey: string;
  stripeCustomerId: string;
  stripePaymentMethodId: string;
  amountCents: number;
  currency: string;
}

export function isStoredChargeAttempt(a: AttemptRecord): a is StoredChargeAttempt {
  return a.idempotencyKey !== null && a.stripeCustomerId !== null && a.stripePaymentMethodId !== null
    && a.amountCents !== null && a.currency !== null;
}

export function paymentIntentParams(a: StoredChargeAttempt): Stripe.PaymentIntentCreateParams {
  return {
    amount: a.amountCents,
    currency: a.currency,
    customer: a.stripeCustomerId,
    payment_method: a.stripePaymentMethodId,
    off_session: true,
    confirm: true,
    description: `Invoice ${a.invoiceId} (${formatMoney(a.amountCents, a.currency)})`,
    metadata: {
      invoice_id: String(a.invoiceId),
      attempt: String(a.attemptNumber),
      attempt_key: a.idempotencyKey,
    },
  };
}

/** A fresh key per attempt: random, so keys never collide across databases sharing an account. */
export function newIdempotencyKey(invoiceId: number, attemptNumber: number, randomId: () => string): string {
  return `invoice-${invoiceId}-attempt-${attemptNumber}-${randomId()}`;
}
