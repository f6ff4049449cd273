/**
 * The per-invoice activity, as a straight line: claim → send → decide → record. Safe to run any
 * number of times for the same invoice: retries resume the same attempt, never start another.
 */
import { log } from '@temporalio/activity';
import Stripe from 'stripe';
import { resolveDecision, type AttemptUpdate } from '../billing/attempt-resolution';
import { decideFromReadError } from '../billing/charge-outcome';
import { dunningAfterFailure, failureSignals } from '../billing/dunning-decision';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { formatMoney } from '../billing/money';
import { countChargeAttempts, insertDunningDecision } from '../db/dunning';
import { loadInvoice } from '../db/invoices';
import { withTransaction } from '../db/sql';
import { resolveAttempt, type AttemptResolution } from '../db/transitions';
import { beginAttempt, type AttemptStart, type CardOfPaymentMethod } from './begin-attempt';
import type { StoredChargeAttempt } from './charge-request';
import type { ActivityDeps } from './deps';
import { systemicStripeFailure, transientStripeFailure } from './failures';
import { checkSettlement, sendAttempt } from './stripe-calls';

export interface ChargeInvoiceInput {
  invoiceId: number;
  /** ISO time: the run's notion of "due". */
  asOf: string;
  /** `${workflowId}/${runId}` of the charging run that holds the invoice's claim. */
  claimRunId: string;
  /** Recovery: the closed run whose claim this charge takes over (its attempt, its key). */
  takeOverFrom?: string;
}

export function makeChargeInvoice(deps: ActivityDeps) {
  return async function chargeInvoice(input: ChargeInvoiceInput): Promise<InvoiceRunResult> {
    // 1. Claim (or resume) the attempt, persisted with its key before Stripe is called. A retry on
    //    a card no attempt has reported yet first learns its fingerprint (for the network budget).
    const begin = (card?: CardOfPaymentMethod): Promise<AttemptStart> => withTransaction(deps.db, (tx) =>
      beginAttempt(tx, deps, {
        invoiceId: input.invoiceId, asOf: new Date(input.asOf), claimRunId: input.claimRunId,
        ...(input.takeOverFrom !== undefined && { takeOverFrom: input.takeOverFrom }),
        ...(card && { card }),
      }),
    );
    let start = await begin();
    if (start.kind === 'need_card') start = await begin(await lookUpCard(deps, input.invoiceId, start.paymentMethodId));
    if (start.kind === 'need_card') throw transientStripeFailure(input.invoiceId, 'the payment method changed while its card was looked up');
    if (start.kind === 'decided') return start.result;
    const { attempt } = start;
    if (start.kind === 'send' && start.resumed) {
      log.info('resuming attempt with its original key', { invoiceId: attempt.invoiceId, attempt: attempt.attemptNumber });
    }
    // 2. Send it (or look at the PaymentIntent that is settling).
    const decision = start.kind === 'settle'
      ? await checkSettlement(deps, start.attempt.stripePaymentIntentId)
      : await sendAttempt(deps, attempt);
    // 3. Decide. Only Stripe refusing the first send of a fresh attempt proves that nothing was charged.
    const resolution = resolveDecision(decision, attempt, start.kind === 'send' && !start.resumed);
    // 4. Record, or hand the attempt back to Temporal (retry) or to the run (systemic stop).
    switch (resolution.kind) {
      case 'hold':
        throw resolution.then === 'systemic'
          ? systemicStripeFailure(resolution.message)
          : transientStripeFailure(attempt.invoiceId, resolution.message, resolution.retryAfterMs);
      case 'release':
        await withTransaction(deps.db, (tx) => resolveAttempt(tx, writeFor(deps, attempt, resolution.update)));
        throw resolution.then === 'systemic' ? systemicStripeFailure(resolution.message) : transientStripeFailure(attempt.invoiceId, resolution.message);
      case 'record':
        return record(deps, attempt, resolution.update, resolution.entry);
    }
  };
}

/** The row write for an update: the attempt's identity and the deadlines its outcome sets. */
function writeFor(deps: ActivityDeps, attempt: StoredChargeAttempt, update: AttemptUpdate): AttemptResolution {
  const now = deps.clock();
  return {
    ...update, invoiceId: attempt.invoiceId, attemptNumber: attempt.attemptNumber, now,
    ...(update.invoiceStatus === 'processing' && { leaseExpiresAt: new Date(now.getTime() + deps.settlementRecheckMs) }),
    ...(update.invoiceStatus === 'requires_auth' && { authExpiresAt: new Date(now.getTime() + deps.authExpiryMs) }),
  };
}

async function record(deps: ActivityDeps, attempt: StoredChargeAttempt, update: AttemptUpdate, entry: InvoiceRunResult): Promise<InvoiceRunResult> {
  const write = writeFor(deps, attempt, update);
  const applied = await withTransaction(deps.db, async (tx) => {
    if (update.invoiceStatus === 'failed' && update.failure) {
      // The retry plan is read under the same lock as the write.
      const invoice = await loadInvoice(tx, attempt.invoiceId, true);
      const dunning = dunningAfterFailure({
        ...failureSignals(update.failure, attempt), firstFailedAt: invoice?.firstFailedAt ?? null, now: write.now,
        chargeAttempts: await countChargeAttempts(tx, attempt.invoiceId), failedPaymentMethodId: attempt.stripePaymentMethodId,
      }, deps.dunningRules);
      write.dunning = dunning;
      if (dunning.nextAttemptAt) entry.next_attempt_at = dunning.nextAttemptAt.toISOString();
      const resolved = await resolveAttempt(tx, write);
      if (resolved) {
        await insertDunningDecision(tx, { invoiceId: attempt.invoiceId, attemptNumber: attempt.attemptNumber, decidedAt: write.now, decision: dunning.decision });
      }
      return resolved;
    }
    return resolveAttempt(tx, write);
  });
  if (!applied) return reportCurrentState(deps, attempt.invoiceId);
  log.info(`invoice ${attempt.invoiceId} ${entry.status}`, {
    invoiceId: attempt.invoiceId, attempt: attempt.attemptNumber, amount: formatMoney(attempt.amountCents, attempt.currency),
    paymentIntentId: entry.payment_intent_id, code: update.failure?.code,
  });
  return entry;
}

/** Someone else (recovery, a webhook) resolved the attempt first: report what the invoice says. */
async function reportCurrentState(deps: ActivityDeps, invoiceId: number): Promise<InvoiceRunResult> {
  const invoice = await loadInvoice(deps.db, invoiceId, false);
  const status = invoice?.status;
  const paymentIntentId = invoice?.stripePaymentIntentId ?? undefined;
  if (status === 'paid' || status === 'requires_auth' || status === 'failed' || status === 'processing') {
    return { invoice_id: invoiceId, status, payment_intent_id: paymentIntentId, error: 'resolved concurrently by another process' };
  }
  return { invoice_id: invoiceId, status: 'skipped', error: `resolved concurrently; invoice is now ${status ?? 'missing'}` };
}

/** The card (fingerprint, network) of a payment method, from Stripe; not a card: fingerprint null. */
export async function lookUpCard(deps: ActivityDeps, invoiceId: number, paymentMethodId: string): Promise<CardOfPaymentMethod> {
  try {
    const pm = await deps.stripe.paymentMethods.retrieve(paymentMethodId);
    return { paymentMethodId, fingerprint: pm.card?.fingerprint ?? null, network: pm.card?.brand ?? null };
  } catch (err) {
    // A payment method Stripe does not know: the charge itself will fail and say so; no budget applies.
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return { paymentMethodId, fingerprint: null, network: null };
    const decision = decideFromReadError(err, 'payment method lookup');
    throw decision.kind === 'systemic' ? systemicStripeFailure(decision.message) : transientStripeFailure(invoiceId, decision.message);
  }
}
