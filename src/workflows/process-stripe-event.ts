/**
 * One stored Stripe webhook event, processed durably: started by the webhook endpoint with the
 * workflow id `stripe-event-<event id>` (so a duplicate delivery cannot start it twice), it
 * applies the event in one activity and, when a 3-D Secure invoice was settled, tells that
 * invoice's follow-up workflow. No I/O here.
 */
import { ActivityFailure, ApplicationFailure, getExternalWorkflowHandle, log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ApplyStripeEventInput, StripeEventResult } from '../activities/apply-stripe-event';
import { STRIPE_EVENT_NOT_STORED, SYSTEMIC_STRIPE_ERROR } from '../shared';
import { authenticationFollowUpId, authenticationSettledSignal } from './authentication-follow-up';

// Bounded: about 2 h of retries for a database or Stripe outage. A rejected key or a missing
// event row cannot heal by retrying. The stored row stays unprocessed if all tries fail, and a
// redelivery of the event by Stripe starts this workflow again.
const { applyStripeEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 30,
    nonRetryableErrorTypes: [STRIPE_EVENT_NOT_STORED, SYSTEMIC_STRIPE_ERROR],
  },
});

export async function processStripeEvent(input: ApplyStripeEventInput): Promise<StripeEventResult> {
  const result = await applyStripeEvent(input);
  if (result.authFollowUp) {
    const { invoiceId, attemptNumber } = result.authFollowUp;
    // The 3-D Secure follow-up (`invoice-<id>-auth-<attempt>`) stops reminding and expiring.
    const workflowId = authenticationFollowUpId(invoiceId, attemptNumber);
    try {
      await getExternalWorkflowHandle(workflowId).signal(authenticationSettledSignal);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // No follow-up is running for this attempt (none was started, or it already ended).
      log.info('no 3-D Secure follow-up to signal', { workflowId, eventId: input.eventId });
    }
  }
  return result;
}

/** Signalling a workflow that does not exist (or has closed) fails with "…not found". */
function isNotFound(err: unknown): boolean {
  if (err instanceof ActivityFailure) return false;
  const message = err instanceof Error ? err.message : String(err);
  return /not found/i.test(message) || (err instanceof ApplicationFailure && /NotFound/i.test(err.type ?? ''));
}
