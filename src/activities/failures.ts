import { ApplicationFailure } from '@temporalio/activity';
import { SYSTEMIC_STRIPE_ERROR, TRANSIENT_STRIPE_ERROR } from '../shared';

/**
 * Transient: Temporal retries the activity, which re-sends the same attempt with the same key;
 * `retryAfterMs` (Stripe's Retry-After) replaces the policy's backoff for this one retry.
 */
export function transientStripeFailure(invoiceId: number, message: string, retryAfterMs?: number): ApplicationFailure {
  return ApplicationFailure.create({
    message: `invoice ${invoiceId}: ${message}`,
    type: TRANSIENT_STRIPE_ERROR,
    nonRetryable: false,
    ...(retryAfterMs !== undefined && { nextRetryDelay: retryAfterMs }),
  });
}

/** Systemic: the whole run must stop; no invoice is marked failed for it. */
export function systemicStripeFailure(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, SYSTEMIC_STRIPE_ERROR);
}
