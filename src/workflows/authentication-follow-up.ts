/**
 * 3-D Secure follow-up for one invoice attempt: notify that the customer must authenticate,
 * remind on a schedule, and after the expiry mark the invoice failed (authentication_expired)
 * — unless the customer authenticated first (the webhook settles it and signals here).
 */
import { msToNumber, type Duration } from '@temporalio/common';
import { condition, defineSignal, log, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { AUTHENTICATION_EXPIRY, AUTHENTICATION_REMINDERS } from '../shared';

export interface AuthenticationFollowUpInput {
  invoiceId: number;
  paymentIntentId: string;
  /** Delays after the first notification, e.g. ['1 day', '3 days']. */
  remindAfter?: Duration[];
  /** e.g. '7 days'. */
  expireAfter?: Duration;
}

export interface AuthenticationFollowUpResult {
  outcome: 'settled' | 'expired' | 'settled_at_stripe';
  reminders: number;
  detail?: string;
}

export const authenticationSettledSignal = defineSignal('authenticationSettled');

export function authenticationFollowUpId(invoiceId: number, attempt: number): string {
  return `invoice-${invoiceId}-auth-${attempt}`;
}

const { notifyAuthentication, checkAuthentication, expireAuthentication } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  // Notification endpoints may be down for a while; keep trying for hours, not forever.
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '30 minutes', maximumAttempts: 30 },
});

export async function authenticationFollowUp(input: AuthenticationFollowUpInput): Promise<AuthenticationFollowUpResult> {
  const ref = { invoiceId: input.invoiceId, paymentIntentId: input.paymentIntentId };
  let settled = false;
  setHandler(authenticationSettledSignal, () => {
    settled = true;
  }, { description: 'The customer authenticated (or the payment failed): stop reminding' });

  const startedAt = Date.now();
  const expireAt = msToNumber(input.expireAfter ?? AUTHENTICATION_EXPIRY);
  const remindAt = (input.remindAfter ?? [...AUTHENTICATION_REMINDERS]).map(msToNumber).filter((at) => at < expireAt).sort((a, b) => a - b);
  // Wakes at `offset` after the start, or earlier when the settlement signal arrives.
  const settledBefore = (offset: number) => condition(() => settled, Math.max(1, startedAt + offset - Date.now()));
  const expiresAtText = new Date(startedAt + expireAt).toISOString();

  await notifyAuthentication({ ...ref, type: 'invoice.authentication_required', reminderNumber: 0 });
  let reminders = 0;
  setCurrentDetails(`waiting for the customer to authenticate ${ref.paymentIntentId}; expires ${expiresAtText}`);

  for (const at of remindAt) {
    if (await settledBefore(at)) return { outcome: 'settled', reminders };
    const check = await checkAuthentication(ref);
    if (!check.waiting) return { outcome: 'settled', reminders, detail: `invoice is ${check.status}` };
    reminders += 1;
    await notifyAuthentication({ ...ref, type: 'invoice.authentication_reminder', reminderNumber: reminders });
    setCurrentDetails(`reminder ${reminders} sent; expires ${expiresAtText}`);
  }

  if (await settledBefore(expireAt)) return { outcome: 'settled', reminders };
  const expiry = await expireAuthentication(ref);
  if (!expiry.expired) return { outcome: 'settled_at_stripe', reminders, detail: expiry.reason };
  await notifyAuthentication({ ...ref, type: 'invoice.authentication_expired', reminderNumber: reminders });
  log.info('authentication expired; invoice marked failed', { ...ref, reminders });
  return { outcome: 'expired', reminders };
}
