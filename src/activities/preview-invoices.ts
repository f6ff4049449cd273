/**
 * Dry run: what a run would do with each invoice of each phase, from reads only: no claim, no
 * Stripe call. It follows the same decisions as the real charge (begin-attempt.ts), so the dry
 * run is the real run's plan: due invoices, due dunning retries, and the claims it would resolve.
 */
import { assessEligibility, isDue } from '../billing/charge-eligibility';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { formatMoney } from '../billing/money';
import { loadInvoice, loadLatestAttempt, UnknownStateError, type ClaimedInvoice } from '../db/invoices';
import type { InvoiceRef } from '../shared';
import { cardFromAttempts, retryBudgetDecision, retryReason } from './begin-attempt';
import { isStoredChargeAttempt } from './charge-request';
import type { ActivityDeps } from './deps';

export interface PreviewInput {
  invoiceIds: number[];
  asOf: string;
  /** The phase that listed them; default 'due' (older histories). */
  phase?: 'recover' | 'due' | 'retry';
  /** Recovery: the listed claims, with why the run would resolve each. */
  refs?: InvoiceRef[];
}

export function makePreviewInvoices(deps: ActivityDeps) {
  return async function previewInvoices(input: PreviewInput): Promise<InvoiceRunResult[]> {
    const asOf = new Date(input.asOf);
    const results: InvoiceRunResult[] = [];
    for (const invoiceId of input.invoiceIds) {
      const invoice = await loadInvoice(deps.db, invoiceId, false).catch((err: unknown) => {
        if (err instanceof UnknownStateError) return err;
        throw err;
      });
      if (invoice instanceof UnknownStateError) {
        results.push({ invoice_id: invoiceId, status: 'skipped', error: `would skip: ${invoice.message}` });
        continue;
      }
      const ref = input.refs?.find((r) => r.id === invoiceId);
      results.push(await preview(deps, invoiceId, invoice, asOf, ref));
    }
    return results;
  };
}

async function preview(deps: ActivityDeps, invoiceId: number, invoice: ClaimedInvoice | undefined, asOf: Date, ref: InvoiceRef | undefined): Promise<InvoiceRunResult> {
  if (!invoice) return { invoice_id: invoiceId, status: 'skipped', error: 'would skip: invoice is missing' };
  if (invoice.status === 'processing') return previewRecovery(deps, invoice, ref);
  if (invoice.status === 'pending') {
    if (invoice.dueDate !== null && !isDue(invoice, asOf)) return { invoice_id: invoiceId, status: 'skipped', error: 'would skip: invoice is not due' };
    const due = invoice.dueDate === null ? 'no due date' : `due ${invoice.dueDate.toISOString()}`;
    return previewCharge(invoice, `${due}, first attempt`, false);
  }
  if (invoice.status === 'failed') {
    const reason = retryReason(invoice, asOf);
    if (reason === undefined) return { invoice_id: invoiceId, status: 'skipped', error: 'would skip: invoice is failed and no retry is due' };
    const eligibility = assessEligibility(invoice);
    if (eligibility.kind !== 'chargeable') {
      return { invoice_id: invoiceId, status: 'skipped', error: `would skip: retry not possible: ${eligibility.code}: ${eligibility.message}`, retry: true };
    }
    // A card no attempt has reported yet is looked up by the real run; a dry run calls no Stripe.
    const card = await cardFromAttempts(deps.db, eligibility.request.stripePaymentMethodId);
    const budget = card && (await retryBudgetDecision(deps.db, deps, card, deps.clock()));
    if (budget?.action === 'postpone' && budget.nextAttemptAt !== null) {
      return { invoice_id: invoiceId, status: 'skipped', error: `would postpone to ${budget.nextAttemptAt.toISOString()}: ${budget.reason}`, retry: true };
    }
    return previewCharge(invoice, `${reason}, attempt ${invoice.attemptCount + 1}`, true);
  }
  return { invoice_id: invoiceId, status: 'skipped', error: `would skip: invoice is ${invoice.status}` };
}

function previewCharge(invoice: ClaimedInvoice, why: string, retry: boolean): InvoiceRunResult {
  const eligibility = assessEligibility(invoice);
  if (eligibility.kind !== 'chargeable') {
    return {
      invoice_id: invoice.id,
      status: eligibility.kind === 'invalid' ? 'failed' : 'skipped',
      error: `would ${eligibility.kind === 'invalid' ? 'fail' : 'skip'}: ${eligibility.code}: ${eligibility.message}`,
    };
  }
  const { amountCents, currency, stripeCustomerId, stripePaymentMethodId } = eligibility.request;
  return {
    invoice_id: invoice.id, status: 'would_charge', amount_cents: amountCents, currency,
    error: `would charge ${formatMoney(amountCents, currency)} to ${stripeCustomerId} / ${stripePaymentMethodId} (${why})`,
    ...(retry && { retry: true }),
  };
}

/** A claim the run would resolve: with the attempt's own key (or a lookup), never a new charge. */
async function previewRecovery(deps: ActivityDeps, invoice: ClaimedInvoice, ref: InvoiceRef | undefined): Promise<InvoiceRunResult> {
  if (!ref?.reason) return { invoice_id: invoice.id, status: 'skipped', error: 'would skip: invoice is being charged by another run' };
  const attempt = await loadLatestAttempt(deps.db, invoice.id);
  const owner = invoice.claimRunId ?? 'no recorded run';
  if (!attempt || attempt.attemptNumber !== invoice.attemptCount || !isStoredChargeAttempt(attempt)) {
    return { invoice_id: invoice.id, status: 'processing', error: `would report for review (${ref.reason}, held by ${owner}): processing without a recorded attempt` };
  }
  const money = formatMoney(attempt.amountCents, attempt.currency);
  const action = attempt.outcome === 'processing' && attempt.stripePaymentIntentId !== null
    ? `would look up PaymentIntent ${attempt.stripePaymentIntentId} (${money})`
    : `would resume attempt ${attempt.attemptNumber} (${money}) with its original idempotency key: Stripe answers with that attempt, no second charge`;
  return {
    invoice_id: invoice.id, status: 'would_charge', amount_cents: attempt.amountCents, currency: attempt.currency, attempt: attempt.attemptNumber,
    error: `${action} (${ref.reason}; held by ${owner})`,
    ...(attempt.isRetry && { retry: true }),
  };
}
