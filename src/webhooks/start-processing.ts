/** Starts the durable processing of a stored event: one workflow per event id, ever. */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { processStripeEvent } from '../workflows/process-stripe-event';

export type StartProcessing = (event: { id: string; type: string }) => Promise<'started' | 'already_started'>;

export function stripeEventWorkflowId(eventId: string): string {
  return `stripe-event-${eventId}`;
}

export function temporalStartProcessing(client: Client, taskQueue: string): StartProcessing {
  return async (event) => {
    try {
      await client.workflow.start<typeof processStripeEvent>('processStripeEvent', {
        taskQueue,
        workflowId: stripeEventWorkflowId(event.id),
        args: [{ eventId: event.id }],
        // A run that completed refuses a duplicate delivery; a run that failed may be started
        // again by Stripe's redelivery, which retries the processing.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        staticSummary: `Stripe ${event.type} ${event.id}`,
      });
      return 'started';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already_started';
      throw err;
    }
  };
}
