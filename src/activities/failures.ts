import { ApplicationFailure } from '@temporalio/activity';
import { SYSTEMIC_STRIPE_ERROR, TRANSIENT_STRIPE_ERROR } from '../shared';

/** Transient: Temporal retries the activity, which re-sends the same attempt with the same key. */
export function transientStripeFailure(invoiceId: number, message: string): ApplicationFailure {
  return ApplicationFailure.retryable(`invoice ${invoiceId}: ${message}`, TRANSIENT_STRIPE_ERROR);
}

/** Systemic: the whole run must stop; no invoice is marked failed for it. */
export function systemicStripeFailure(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, SYSTEMIC_STRIPE_ERROR);
}
