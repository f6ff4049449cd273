/**
 * Step 1 of a charge, in one transaction under the invoice's row lock: claim the invoice and
 * persist the attempt (with its idempotency key and exact parameters) before Stripe is called,
 * or resume the attempt this run (or an expired run) already started.
 */
import { assessEligibility, isDue } from '../billing/charge-eligibility';
import type { InvoiceRunResult } from '../billing/invoice-state';
import {
  insertAttempt, loadInvoice, loadLatestAttempt, renewClaim, startAttemptOnInvoice, type Tx,
} from '../db/invoices';
import { isStoredChargeAttempt, newIdempotencyKey, type StoredChargeAttempt } from './charge-request';
import type { ActivityDeps } from './deps';

export type AttemptStart =
  /** Decided without Stripe: nothing to send. */
  | { kind: 'decided'; result: InvoiceRunResult }
  /** Send (or re-send) this attempt's request. */
  | { kind: 'send'; attempt: StoredChargeAttempt; resumed: boolean }
  /** The attempt's PaymentIntent was `processing`: look it up to see whether it settled. */
  | { kind: 'settle'; attempt: StoredChargeAttempt & { stripePaymentIntentId: string } };

export interface BeginAttemptInput {
  invoiceId: number;
  asOf: Date;
  /** Who holds the claim: `${workflowId}/${runId}` of the charging run. */
  claimOwner: string;
}

const skipped = (invoiceId: number, error: string): AttemptStart => ({
  kind: 'decided',
  result: { invoice_id: invoiceId, status: 'skipped', error },
});

export async function beginAttempt(tx: Tx, deps: ActivityDeps, input: BeginAttemptInput): Promise<AttemptStart> {
  const { invoiceId, asOf, claimOwner } = input;
  const now = deps.clock();
  const invoice = await loadInvoice(tx, invoiceId, true);
  if (!invoice) return skipped(invoiceId, 'invoice not found');

  if (invoice.status === 'processing') {
    const ownClaim = invoice.claimRunId === claimOwner;
    const leaseExpired = invoice.leaseExpiresAt !== null && invoice.leaseExpiresAt.getTime() <= now.getTime();
    if (!ownClaim && !leaseExpired) return skipped(invoiceId, 'invoice is being charged by another run');
    const attempt = await loadLatestAttempt(tx, invoiceId);
    if (!attempt || attempt.attemptNumber !== invoice.attemptCount || !isStoredChargeAttempt(attempt)) {
      // Cannot happen while claims and attempts are written in one transaction; never guess.
      return { kind: 'decided', result: { invoice_id: invoiceId, status: 'processing', error: 'processing without a recorded attempt: needs review' } };
    }
    const renewed = await renewClaim(tx, {
      invoiceId, attemptNumber: attempt.attemptNumber, runId: claimOwner, now,
      leaseExpiresAt: new Date(now.getTime() + deps.claimLeaseMs),
    });
    if (!renewed) return skipped(invoiceId, 'invoice claim changed concurrently');
    if (attempt.outcome === 'in_flight') return { kind: 'send', attempt, resumed: true };
    if (attempt.outcome === 'processing' && attempt.stripePaymentIntentId !== null) {
      return { kind: 'settle', attempt: { ...attempt, stripePaymentIntentId: attempt.stripePaymentIntentId } };
    }
    return { kind: 'decided', result: { invoice_id: invoiceId, status: 'processing', error: `attempt ended as ${attempt.outcome} but invoice is processing: needs review` } };
  }

  if (invoice.status !== 'pending') return skipped(invoiceId, `invoice is ${invoice.status}, not pending`);
  if (!isDue(invoice, asOf)) return skipped(invoiceId, 'invoice is not due');

  const eligibility = assessEligibility(invoice);
  const attemptNumber = invoice.attemptCount + 1;
  const base = { invoiceId, attemptNumber, runId: claimOwner, startedAt: now, stripePaymentIntentId: null };

  if (eligibility.kind !== 'chargeable') {
    // Recorded as a finished attempt with no key: nothing was or will be sent for it.
    const to = eligibility.kind === 'invalid' ? 'failed' : 'pending';
    const failure = { code: eligibility.code, message: eligibility.message };
    await startAttemptOnInvoice(tx, { invoiceId, attemptNumber, to, runId: claimOwner, now, leaseExpiresAt: null, failure });
    await insertAttempt(tx, {
      ...base,
      idempotencyKey: null,
      stripeCustomerId: invoice.customer?.stripeCustomerId ?? null,
      stripePaymentMethodId: invoice.customer?.stripePaymentMethodId ?? null,
      amountCents: typeof invoice.amountCents === 'number' ? invoice.amountCents : null,
      currency: typeof invoice.currency === 'string' ? invoice.currency.slice(0, 16) : null,
      outcome: to === 'failed' ? 'failed' : 'skipped',
      failureCode: failure.code,
      failureMessage: failure.message,
      finishedAt: now,
    });
    return {
      kind: 'decided',
      result: { invoice_id: invoiceId, status: to === 'failed' ? 'failed' : 'skipped', error: `${failure.code}: ${failure.message}` },
    };
  }

  const { request } = eligibility;
  const attempt: StoredChargeAttempt = {
    ...base,
    idempotencyKey: newIdempotencyKey(invoiceId, attemptNumber, deps.randomId),
    stripeCustomerId: request.stripeCustomerId,
    stripePaymentMethodId: request.stripePaymentMethodId,
    amountCents: request.amountCents,
    currency: request.currency,
    outcome: 'in_flight',
  };
  await startAttemptOnInvoice(tx, {
    invoiceId, attemptNumber, to: 'processing', runId: claimOwner, now,
    leaseExpiresAt: new Date(now.getTime() + deps.claimLeaseMs),
  });
  await insertAttempt(tx, attempt);
  return { kind: 'send', attempt, resumed: false };
}
