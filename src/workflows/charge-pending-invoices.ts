/**
 * The charging run: the original job's steps, made durable.
 *   1. find invoices that are pending and due (page by page, ids only);
 *   2. for each, in parallel up to `concurrency`, charge it in its own activity
 *      (load customer → skip without a payment method → PaymentIntent off-session → record);
 *   3. return the summary of outcomes.
 * Before step 1, invoices left `processing` by a run that ended are resolved (recovery); after
 * it, failed invoices whose dunning retry is due (or whose customer has a new card) are charged
 * again.
 * No I/O here: everything that touches the DB or Stripe is an activity.
 */
import {
  ActivityFailure, ApplicationFailure, condition, continueAsNew, defineQuery, log, ParentClosePolicy, patched,
  proxyActivities, setCurrentDetails, setHandler, startChild, upsertMemo, workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { InvoiceRunResult } from '../billing/invoice-state';
import { formatMoney } from '../billing/money';
import type { InvoiceRef } from '../db/invoices';
import { SYSTEMIC_STRIPE_ERROR } from '../shared';
import { authenticationFollowUp, authenticationFollowUpId } from './authentication-follow-up';
import { addResult, emptyTally, type OutcomeTotals, type RunTally } from './run-summary';

export interface ChargeRunInput {
  /** ISO time; an invoice is due when due_date <= asOf (UTC). Default: when the run started. */
  asOf?: string;
  pageSize?: number;
  /** How many charges are in flight at once. */
  concurrency?: number;
  /** List what would be charged or skipped; no Stripe call, no DB write. */
  dryRun?: boolean;
  maxResultsInSummary?: number;
  /** Set by the run itself when it continues as new; not for callers. */
  carry?: RunCarry;
}

interface RunCarry {
  asOf: string;
  startedAt: string;
  phase: Phase;
  cursor: number;
  tally: RunTally;
  continuedAsNew: number;
}

type Phase = 'recover' | 'due' | 'retry';

/** The phases in order; a dry run only previews the due invoices. */
const PHASES: readonly Phase[] = ['recover', 'due', 'retry'];

export interface ChargeRunSummary {
  results: InvoiceRunResult[];
  resultsTruncated: boolean;
  totals: OutcomeTotals;
  /** Charged minor units per currency. */
  amounts: Record<string, number>;
  /** Charges sent to Stripe: first attempts and dunning retries. */
  attempts: { first: number; retries: number };
  found: number;
  processed: number;
  dryRun: boolean;
  asOf: string;
  startedAt: string;
  finishedAt: string;
  continuedAsNew: number;
}

export interface ChargeRunProgress {
  phase: Phase;
  found: number;
  processed: number;
  inFlight: number;
  totals: OutcomeTotals;
  dryRun: boolean;
}

export const progressQuery = defineQuery<ChargeRunProgress>('progress');

export const DEFAULTS = {
  pageSize: 200,
  /**
   * Charges in flight. Stripe's 100/s at ~300 ms per PaymentIntent needs 30, plus the claim,
   * the record and Temporal's dispatch around each call, which grow when the CPU is busy: 75
   * holds the rate limit with headroom (BENCHMARKS.md; 50 reached ~90 %). Runs started before
   * this default keep theirs (LEGACY_DEFAULT_CONCURRENCY) on replay.
   */
  concurrency: 75,
  maxResultsInSummary: 1000,
  /** Stay far below Temporal's 51,200-event limit; the server also suggests continue-as-new. */
  maxHistoryEvents: 8000,
} as const;

const LEGACY_DEFAULT_CONCURRENCY = 25;

const { listDueInvoices, listExpiredClaims, listRetryDueInvoices, previewInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

// SDK timeout (20 s) < start-to-close; ~12 tries with backoff end within minutes, far inside
// Stripe's 24 h idempotency-key retention, and inside the claim lease that recovery waits for.
const { chargeInvoice } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 12,
    nonRetryableErrorTypes: [SYSTEMIC_STRIPE_ERROR],
  },
});

export async function chargePendingInvoices(input: ChargeRunInput = {}): Promise<ChargeRunSummary> {
  const pageSize = positive(input.pageSize, DEFAULTS.pageSize);
  const concurrency = positive(input.concurrency, patched('default-concurrency-75') ? DEFAULTS.concurrency : LEGACY_DEFAULT_CONCURRENCY);
  const maxResults = Math.max(0, input.maxResultsInSummary ?? DEFAULTS.maxResultsInSummary);
  const dryRun = input.dryRun === true;
  const carry = input.carry;
  const asOf = carry?.asOf ?? (input.asOf ? new Date(input.asOf).toISOString() : new Date().toISOString());
  const startedAt = carry?.startedAt ?? new Date().toISOString();
  const tally = carry?.tally ?? emptyTally();
  const info = workflowInfo();
  const claimOwner = `${info.workflowId}/${info.runId}`;

  let phase: Phase = carry?.phase ?? (dryRun ? 'due' : 'recover');
  let cursor = carry?.cursor ?? 0;
  let inFlight = 0;
  let systemicStop: string | undefined;

  setHandler(progressQuery, () => ({ phase, found: tally.found, processed: tally.processed, inFlight, totals: tally.totals, dryRun }), {
    description: 'Invoices found and processed so far, with totals per outcome',
  });

  const charge = async (invoice: InvoiceRef): Promise<void> => {
    try {
      const result = await chargeInvoice.executeWithOptions({ summary: chargeSummary(invoice) }, [
        { invoiceId: invoice.id, asOf, claimOwner },
      ]);
      addResult(tally, result, maxResults);
      if (result.status === 'requires_auth') await followUpAuthentication(result);
    } catch (err) {
      if (isSystemic(err)) {
        systemicStop ??= rootMessage(err);
        return;
      }
      // Retries exhausted with the outcome unknown: the claim's lease expires and the next
      // run's recovery resolves the attempt with its original key. Never guessed here.
      addResult(tally, {
        invoice_id: invoice.id,
        status: 'processing',
        error: `outcome not yet known (${rootMessage(err)}); recovery will resolve it`,
      }, maxResults);
    } finally {
      inFlight -= 1;
    }
  };

  const listPage: Record<Phase, (q: { asOf: string; afterId: number; limit: number }) => Promise<InvoiceRef[]>> = {
    recover: listExpiredClaims,
    due: listDueInvoices,
    retry: listRetryDueInvoices,
  };

  // The next page is listed while this one is charged, so charging does not pause at each page
  // boundary (BENCHMARKS.md). Runs started before this keep listing after each page on replay.
  const prefetchPages = !dryRun && patched('prefetch-next-page');
  let prefetched: Promise<InvoiceRef[]> | undefined;

  while (systemicStop === undefined) {
    const query = { asOf, afterId: cursor, limit: pageSize };
    const page = await (prefetched ?? listPage[phase](query));
    prefetched = undefined;
    if (page.length === 0) {
      const next = PHASES[PHASES.indexOf(phase) + 1];
      if (next === undefined || dryRun) break;
      // Runs started before dunning existed end after the due phase (test/fixtures replays one).
      if (next === 'retry' && !patched('dunning-retry-phase')) break;
      phase = next;
      cursor = 0;
      continue;
    }
    tally.found += page.length;
    cursor = page[page.length - 1].id;
    if (prefetchPages && page.length === pageSize) {
      prefetched = listPage[phase]({ asOf, afterId: cursor, limit: pageSize });
      prefetched.catch(() => undefined); // handled where it is awaited; never an unhandled rejection
    }

    if (dryRun) {
      for (const result of await previewInvoices({ invoiceIds: page.map((i) => i.id), asOf })) addResult(tally, result, maxResults);
    } else {
      for (const invoice of page) {
        await condition(() => inFlight < concurrency || systemicStop !== undefined);
        if (systemicStop !== undefined) break;
        inFlight += 1;
        void charge(invoice);
      }
    }
    setCurrentDetails(progressDetails(phase, tally));

    const history = workflowInfo();
    if (history.continueAsNewSuggested || history.historyLength >= DEFAULTS.maxHistoryEvents) {
      // Nothing may be left running: the next run lists that page again from the cursor.
      await prefetched;
      prefetched = undefined;
      await condition(() => inFlight === 0);
      if (systemicStop !== undefined) break;
      log.info('continuing as new', { processed: tally.processed, cursor, historyLength: history.historyLength });
      await continueAsNew<typeof chargePendingInvoices>({
        ...input,
        carry: { asOf, startedAt, phase, cursor, tally, continuedAsNew: (carry?.continuedAsNew ?? 0) + 1 },
      });
    }
  }
  await prefetched?.catch(() => undefined); // left over only when a systemic stop ended the loop
  await condition(() => inFlight === 0);

  upsertMemo({ totals: tally.totals, amounts: tally.amounts });
  setCurrentDetails(progressDetails(phase, tally));
  if (systemicStop !== undefined) {
    log.error('run stopped: Stripe refused the account or key', { reason: systemicStop, processed: tally.processed });
    throw ApplicationFailure.nonRetryable(
      `run stopped after ${tally.processed} invoices: ${systemicStop}. Unprocessed invoices stay pending; no invoice was marked failed for this.`,
      SYSTEMIC_STRIPE_ERROR,
    );
  }
  log.info('run finished', { totals: tally.totals, amounts: tally.amounts });
  return {
    results: [...tally.results].sort((a, b) => a.invoice_id - b.invoice_id),
    resultsTruncated: tally.resultsTruncated,
    totals: tally.totals,
    amounts: tally.amounts,
    attempts: tally.attempts,
    found: tally.found,
    processed: tally.processed,
    dryRun,
    asOf,
    startedAt,
    finishedAt: new Date().toISOString(),
    continuedAsNew: carry?.continuedAsNew ?? 0,
  };
}

/** Starts the 3-D Secure follow-up of this attempt; it outlives the run (ABANDON). */
async function followUpAuthentication(result: InvoiceRunResult): Promise<void> {
  if (!result.payment_intent_id || result.attempt === undefined) return;
  // Runs recorded before the follow-up existed did not start it (test/fixtures replays one).
  if (!patched('authentication-follow-up')) return;
  try {
    await startChild(authenticationFollowUp, {
      workflowId: authenticationFollowUpId(result.invoice_id, result.attempt),
      args: [{ invoiceId: result.invoice_id, paymentIntentId: result.payment_intent_id }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `3-D Secure follow-up for invoice ${result.invoice_id}`,
    });
  } catch (err) {
    // A retried run finds the follow-up of this attempt already going: that is the one we want.
    // Anything else is logged: the invoice's outcome is recorded either way.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      log.warn('could not start the 3-D Secure follow-up', { invoiceId: result.invoice_id, error: rootMessage(err) });
    }
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

function chargeSummary(invoice: InvoiceRef): string {
  const amount = invoice.amountCents === null ? 'no amount' : formatMoney(invoice.amountCents, invoice.currency.toLowerCase());
  return `charge invoice ${invoice.id} · ${amount}`;
}

function progressDetails(phase: Phase, tally: RunTally): string {
  const t = tally.totals;
  const doing = { recover: 'recovering expired claims', due: 'charging due invoices', retry: 'retrying failed invoices (dunning)' }[phase];
  return `**${doing}**: ${tally.processed}/${tally.found} processed · `
    + `paid ${t.paid} · requires_auth ${t.requires_auth} · failed ${t.failed} · skipped ${t.skipped} · processing ${t.processing}`;
}

function isSystemic(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === SYSTEMIC_STRIPE_ERROR;
}

function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
