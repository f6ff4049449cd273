/**
 * The per-invoice activity: claim → charge with the attempt's key → record. Safe to run any
 * number of times for the same invoice: retries resume the same attempt, never start another.
 */
import { log } from '@temporalio/activity';
import type { InvoiceRunResult } from '../billing/invoice-state';
import { formatMoney } from '../billing/money';
import { planRetry } from '../billing/dunning';
import { countChargeAttempts } from '../db/dunning';
import { loadInvoice, resolveAttempt, withTransaction, type AttemptResolution, type Tx } from '../db/invoices';
import { beginAttempt } from './begin-attempt';
import type { StoredChargeAttempt } from './charge-request';
import type { ActivityDeps } from './deps';
import { systemicStripeFailure, transientStripeFailure } from './failures';
import { checkSettlement, sendAttempt, type LookupResult } from './stripe-calls';

export interface ChargeInvoiceInput {
  invoiceId: number;
  /** ISO time: the run's notion of "due". */
  asOf: string;
  /** `${workflowId}/${runId}` of the run: the claim's owner. */
  claimOwner: string;
}

export function makeChargeInvoice(deps: ActivityDeps) {
  return async function chargeInvoice(input: ChargeInvoiceInput): Promise<InvoiceRunResult> {
    const start = await withTransaction(deps.db, (tx) =>
      beginAttempt(tx, deps, { invoiceId: input.invoiceId, asOf: new Date(input.asOf), claimOwner: input.claimOwner }),
    );
    if (start.kind === 'decided') return start.result;

    const { attempt } = start;
    if (start.kind === 'send' && start.resumed) {
      log.info('resuming attempt with its original key', { invoiceId: attempt.invoiceId, attempt: attempt.attemptNumber });
    }
    const decision = start.kind === 'settle'
      ? await checkSettlement(deps, start.attempt.stripePaymentIntentId)
      : await sendAttempt(deps, attempt);
    // Only Stripe refusing the first send of a fresh attempt proves that nothing was charged.
    const firstSend = start.kind === 'send' && !start.resumed;
    return record(deps, attempt, decision, firstSend);
  };
}

/** Step 3: write the decision, or hand it back to Temporal (retry) or to the run (systemic stop). */
async function record(deps: ActivityDeps, attempt: StoredChargeAttempt, decision: LookupResult, firstSend: boolean): Promise<InvoiceRunResult> {
  const now = deps.clock();
  const base = { invoiceId: attempt.invoiceId, attemptNumber: attempt.attemptNumber, now };
  const money = {
    amount_cents: attempt.amountCents, currency: attempt.currency, attempt: attempt.attemptNumber, ...(attempt.isRetry && { retry: true }),
  };
  let resolution: AttemptResolution;
  let result: InvoiceRunResult;
  /** Fills in what must be read under the same lock as the write (the dunning plan). */
  let complete = (_tx: Tx, r: AttemptResolution): Promise<AttemptResolution> => Promise.resolve(r);

  switch (decision.kind) {
    case 'paid':
      resolution = { ...base, outcome: 'paid', invoiceStatus: 'paid', paymentIntentId: decision.paymentIntentId };
      result = { invoice_id: attempt.invoiceId, status: 'paid', payment_intent_id: decision.paymentIntentId, ...money };
      break;
    case 'requires_auth':
      resolution = {
        ...base, outcome: 'requires_auth', invoiceStatus: 'requires_auth', paymentIntentId: decision.paymentIntentId,
        failure: { code: decision.code, message: decision.message },
        authExpiresAt: new Date(now.getTime() + deps.authExpiryMs),
      };
      // Stripe's message says "declined"; the customer only has to confirm, so say that instead.
      result = {
        invoice_id: attempt.invoiceId, status: 'requires_auth', payment_intent_id: decision.paymentIntentId,
        error: 'authentication required: the customer must confirm this payment (3-D Secure)', ...money,
      };
      break;
    case 'failed':
      resolution = {
        ...base, outcome: 'failed', invoiceStatus: 'failed', paymentIntentId: decision.paymentIntentId,
        failure: { code: decision.code, declineCode: decision.declineCode, message: decision.message },
      };
      result = { invoice_id: attempt.invoiceId, status: 'failed', payment_intent_id: decision.paymentIntentId, error: decision.message, ...money };
      complete = async (tx, r) => {
        const invoice = await loadInvoice(tx, attempt.invoiceId, true);
        const firstFailedAt = invoice?.firstFailedAt ?? now;
        const plan = planRetry({
          code: decision.code, declineCode: decision.declineCode, firstFailedAt,
          chargeAttempts: await countChargeAttempts(tx, attempt.invoiceId),
        }, deps.dunningPolicy);
        const nextAttemptAt = plan.kind === 'retry_at' ? plan.at : null;
        if (nextAttemptAt) result.next_attempt_at = nextAttemptAt.toISOString();
        return {
          ...r,
          dunning: {
            nextAttemptAt, firstFailedAt, failedPaymentMethodId: attempt.stripePaymentMethodId,
            stoppedReason: plan.kind === 'stop' ? plan.reason : null,
          },
        };
      };
      break;
    case 'processing':
      resolution = {
        ...base, outcome: 'processing', invoiceStatus: 'processing', paymentIntentId: decision.paymentIntentId,
        leaseExpiresAt: new Date(now.getTime() + deps.settlementRecheckMs),
      };
      result = { invoice_id: attempt.invoiceId, status: 'processing', payment_intent_id: decision.paymentIntentId, error: 'payment is processing; it settles later', ...money };
      break;
    case 'skipped':
      resolution = { ...base, outcome: 'skipped', invoiceStatus: 'pending', failure: { code: decision.code, message: decision.message } };
      result = { invoice_id: attempt.invoiceId, status: 'skipped', error: `${decision.code}: ${decision.message}` };
      break;
    case 'retry':
      // The claim and the in-flight attempt stay: the retry re-sends the same key.
      throw transientStripeFailure(attempt.invoiceId, decision.message);
    case 'systemic':
      if (!firstSend || decision.outcomeUnknown) {
        // An earlier send of this attempt, a 5xx, or a processing PaymentIntent may have charged:
        // keep the claim, so a run with a valid key resolves the attempt with its own key.
        throw systemicStripeFailure(`${decision.message} (invoice ${attempt.invoiceId} stays processing until a run with a valid key resolves its attempt)`);
      }
      // Stripe refused the only request of this attempt, so nothing was charged: give the claim back.
      await withTransaction(deps.db, (tx) => resolveAttempt(tx, {
        ...base, outcome: 'released', invoiceStatus: 'pending', failure: { code: 'systemic_stop', message: decision.message },
      }));
      throw systemicStripeFailure(decision.message);
    case 'no_charge':
      // Proven uncharged: close this attempt; the activity's retry claims a fresh one with a new key.
      await withTransaction(deps.db, (tx) => resolveAttempt(tx, {
        ...base, outcome: 'released', invoiceStatus: 'pending', failure: { code: 'stripe_server_error', message: decision.message },
      }));
      throw transientStripeFailure(attempt.invoiceId, decision.message);
    case 'look_up':
      throw new Error('unreachable: look_up is resolved by sendAttempt');
  }

  const applied = await withTransaction(deps.db, async (tx) => resolveAttempt(tx, await complete(tx, resolution)));
  if (!applied) return reportCurrentState(deps, attempt.invoiceId);
  log.info(`invoice ${attempt.invoiceId} ${result.status}`, {
    invoiceId: attempt.invoiceId, attempt: attempt.attemptNumber, amount: formatMoney(attempt.amountCents, attempt.currency),
    paymentIntentId: result.payment_intent_id, code: resolution.failure?.code,
  });
  return result;
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
