/**
 * The machinery of a charging run, beside the workflow that reads as the job: the run's state
 * and options, keyset paging with the next page prefetched, continue-as-new between pages, the
 * progress query and the summary. No I/O here: listing is an activity.
 */
import {
  ApplicationFailure, condition, continueAsNew, defineQuery, isCancellation, log, proxyActivities, setCurrentDetails, setHandler, upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { concurrencyForChargeRate, DEFAULT_CHARGE_CONCURRENCY } from '../charge-concurrency';
import type { HeldClaims } from '../activities/held-claims';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { SYSTEMIC_STRIPE_ERROR, type InvoiceRef } from '../shared';
import { finishedDetails, reportSearchAttributes, showProgress } from './run-inspection';
import { addFound, emptyTally, PHASES, type OutcomeTotals, type Phase, type PhaseTotals, type RunTally } from './run-summary';

/** A listed invoice with the phase that listed it (its result counts there). */
export type ListedInvoice = InvoiceRef & { listedIn: Phase };

export type { Phase } from './run-summary';

export interface ChargeRunInput {
  /** ISO time; an invoice is due when due_date <= asOf (UTC). Default: when the run started. */
  asOf?: string;
  pageSize?: number;
  /**
   * How many charges are in flight at once. Default: derived from the worker's charge rate
   * (`concurrencyForChargeRate`), 75 at the default 25/s, 120 at 100/s.
   */
  concurrency?: number;
  /** List what would be charged or skipped; no Stripe call, no DB write. */
  dryRun?: boolean;
  /** A recovery sweep: only the recover phase (claims of closed runs, expired leases). */
  recoverOnly?: boolean;
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
  /** Invoices the previous run's lanes had queued when it paused (charged first, in order). */
  parked?: ListedInvoice[];
  /** The page after `cursor`, listed by the previous run: charged without listing it again. */
  nextPage?: InvoiceRef[];
}


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
  /** Charges the run kept in flight at most: its input's, or derived from the worker's rate. */
  concurrency: number;
  asOf: string;
  startedAt: string;
  finishedAt: string;
  continuedAsNew: number;
  /** Found and outcome totals of each phase: recover (claims resolved), due, retry (dunning). */
  phases?: Record<Phase, PhaseTotals>;
  /** Claims other runs held when this one ended: count, oldest age, owners (Temporal's view). */
  heldByOtherRuns?: HeldClaims;
}

export interface ChargeRunProgress {
  phase: Phase;
  found: number;
  processed: number;
  inFlight: number;
  concurrency: number;
  totals: OutcomeTotals;
  dryRun: boolean;
}

export const progressQuery = defineQuery<ChargeRunProgress>('progress');

export const DEFAULTS = {
  pageSize: 200,
  /** At the default 25/s; a run without the input derives it from the worker's rate. */
  concurrency: DEFAULT_CHARGE_CONCURRENCY,
  maxResultsInSummary: 1000,
  /** Stay far below Temporal's 51,200-event limit; the server also suggests continue-as-new. */
  maxHistoryEvents: 8000,
} as const;

// A regular activity, not a local one: a local activity's marker carries its metadata unencoded,
// and every payload of a run is encrypted. Priority 1 puts it ahead of other runs' charges.
const { workerSettings } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
  priority: { priorityKey: 1 },
});

const { listDueInvoices, listClaimsToRecover, listRetryDueInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

// A report for the summary: a few tries, then the run ends without it.
const { describeHeldClaims } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

const LIST_PAGE: Record<Phase, (q: { asOf: string; afterId: number; limit: number; claimRunId: string }) => Promise<InvoiceRef[]>> = {
  recover: listClaimsToRecover,
  due: listDueInvoices,
  retry: listRetryDueInvoices,
};

/** One run's state; carried across continue-as-new as `RunCarry`. */
export interface ChargeRun {
  readonly input: ChargeRunInput;
  readonly pageSize: number;
  readonly concurrency: number;
  readonly maxResults: number;
  readonly dryRun: boolean;
  readonly asOf: string;
  readonly startedAt: string;
  /** `${workflowId}/${runId}`: the run that holds the claims it makes. */
  readonly claimRunId: string;
  readonly tally: RunTally;
  readonly continuedAsNew: number;
  phase: Phase;
  cursor: number;
  inFlight: number;
  /** Set by the first charge Stripe refused for the account or key: the run stops. */
  systemicStop?: string;
  /** Per-customer lanes of this execution (customer-lanes.ts): empty whenever inFlight is 0. */
  readonly lanes: Map<number, ListedInvoice[]>;
  /** Set before continue-as-new: lanes finish their charge in flight and park their queues here. */
  pausing: boolean;
  readonly parked: ListedInvoice[];
  /** What the previous run handed over (parked invoices, its prefetched page); taken once. */
  handedOver?: { parked: ListedInvoice[]; nextPage?: InvoiceRef[] };
  /** The search attributes last upserted (run-inspection.ts), so unchanged ones are not re-sent. */
  reported?: string;
}

/**
 * The run's concurrency: the input's, else derived from the worker's charge rate (asked once per
 * run; carried across continue-as-new in the input). A worker that cannot say gets the default.
 */
async function resolveConcurrency(input: ChargeRunInput): Promise<number> {
  if (input.concurrency !== undefined) return positive(input.concurrency, DEFAULTS.concurrency);
  try {
    return concurrencyForChargeRate((await workerSettings()).chargeRatePerSecond);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('could not read the worker\'s charge rate; using the default concurrency', {
      concurrency: DEFAULTS.concurrency, error: err instanceof Error ? err.message : String(err),
    });
    return DEFAULTS.concurrency;
  }
}

/** Reads the options (or the carried state) and answers the progress query from then on. */
export async function openRun(input: ChargeRunInput): Promise<ChargeRun> {
  const { carry } = input;
  const concurrency = await resolveConcurrency(input);
  const info = workflowInfo();
  const dryRun = input.dryRun === true;
  const run: ChargeRun = {
    input,
    pageSize: positive(input.pageSize, DEFAULTS.pageSize),
    concurrency,
    maxResults: Math.max(0, input.maxResultsInSummary ?? DEFAULTS.maxResultsInSummary),
    dryRun,
    asOf: carry?.asOf ?? (input.asOf ? new Date(input.asOf).toISOString() : new Date().toISOString()),
    startedAt: carry?.startedAt ?? new Date().toISOString(),
    claimRunId: `${info.workflowId}/${info.runId}`,
    tally: carry?.tally ?? emptyTally(),
    continuedAsNew: carry?.continuedAsNew ?? 0,
    phase: carry?.phase ?? 'recover',
    cursor: carry?.cursor ?? 0,
    inFlight: 0,
    lanes: new Map(),
    pausing: false,
    parked: [],
    ...(carry && { handedOver: { parked: carry.parked ?? [], ...(carry.nextPage && { nextPage: carry.nextPage }) } }),
  };
  setHandler(progressQuery, () => ({
    phase: run.phase, found: run.tally.found, processed: run.tally.processed, inFlight: run.inFlight, concurrency: run.concurrency, totals: run.tally.totals, dryRun,
  }), { description: 'Invoices found and processed so far, with totals per outcome' });
  showProgress(run);
  return run;
}

/** A page to charge: listed by this run, or handed over by the previous one (with its phase). */
export type PageInvoice = InvoiceRef & { listedIn?: Phase };

/**
 * Lists `phase` page by page from the run's cursor and hands each page to `handle`. The next
 * page is listed while this one is charged, so charging does not pause at page boundaries
 * (BENCHMARKS.md). Between pages the run continues as new when its history grows long, handing
 * over its lanes' queues and the next page. A phase the run (continued as new) has already
 * finished is skipped.
 */
export async function forEachPage(run: ChargeRun, phase: Phase, handle: (page: PageInvoice[]) => Promise<void>): Promise<void> {
  if (PHASES.indexOf(phase) < PHASES.indexOf(run.phase)) return;
  if (phase !== run.phase) {
    run.phase = phase;
    run.cursor = 0;
    showProgress(run);
  }
  // The first phase this run reaches is the one the previous run continued as new in.
  const handedOver = run.handedOver;
  run.handedOver = undefined;
  if (handedOver && handedOver.parked.length > 0) await handle(handedOver.parked);
  let prefetched: Promise<InvoiceRef[]> | undefined = handedOver?.nextPage && Promise.resolve(handedOver.nextPage);
  try {
    while (run.systemicStop === undefined) {
      const page = await (prefetched ?? LIST_PAGE[phase]({ asOf: run.asOf, afterId: run.cursor, limit: run.pageSize, claimRunId: run.claimRunId }));
      prefetched = undefined;
      if (page.length === 0) return;
      addFound(run.tally, phase, page.length);
      run.cursor = page[page.length - 1].id;
      if (!run.dryRun && page.length === run.pageSize) {
        prefetched = LIST_PAGE[phase]({ asOf: run.asOf, afterId: run.cursor, limit: run.pageSize, claimRunId: run.claimRunId });
        prefetched.catch(() => undefined); // handled where it is awaited; never an unhandled rejection
      }
      await handle(page);
      showProgress(run);
      if (historyIsLong()) {
        // Nothing may be left running: lanes finish the charge they have in flight and park the
        // rest, which the next run takes over with the page already listed after the cursor.
        run.pausing = true;
        const nextPage = await prefetched;
        prefetched = undefined;
        await continueAsNewWhenIdle(run, nextPage);
        return; // only reached after a systemic stop
      }
    }
  } finally {
    await prefetched?.catch(() => undefined); // left over only when a systemic stop ended the phase
  }
}

function historyIsLong(): boolean {
  const history = workflowInfo();
  return history.continueAsNewSuggested || history.historyLength >= DEFAULTS.maxHistoryEvents;
}

/**
 * Lets every charge in flight finish, then continues as new from the cursor with the parked
 * invoices and the next page (unless a systemic stop came).
 */
async function continueAsNewWhenIdle(run: ChargeRun, nextPage: InvoiceRef[] | undefined): Promise<void> {
  await condition(() => run.inFlight === 0);
  if (run.systemicStop !== undefined) return;
  log.info('continuing as new', {
    processed: run.tally.processed, cursor: run.cursor, parked: run.parked.length, historyLength: workflowInfo().historyLength,
  });
  await continueAsNew<(input: ChargeRunInput) => Promise<ChargeRunSummary>>({
    ...run.input,
    concurrency: run.concurrency,
    carry: {
      asOf: run.asOf, startedAt: run.startedAt, phase: run.phase, cursor: run.cursor, tally: run.tally, continuedAsNew: run.continuedAsNew + 1,
      ...(run.parked.length > 0 && { parked: run.parked }),
      ...(nextPage && nextPage.length > 0 && { nextPage }),
    },
  });
}

/** Waits for the last charges, then returns the summary, or fails the run after a systemic stop. */
export async function summarize(run: ChargeRun): Promise<ChargeRunSummary> {
  await condition(() => run.inFlight === 0);
  const { tally } = run;
  const heldByOtherRuns = await heldClaims(run);
  upsertMemo({ totals: tally.totals, amounts: tally.amounts });
  setCurrentDetails(finishedDetails(run, heldByOtherRuns));
  reportSearchAttributes(run, run.systemicStop !== undefined ? 'stopped' : 'finished');
  if (run.systemicStop !== undefined) {
    log.error('run stopped: Stripe refused the account or key', { reason: run.systemicStop, processed: tally.processed });
    throw ApplicationFailure.nonRetryable(
      `run stopped after ${tally.processed} invoices: ${run.systemicStop}. Unprocessed invoices stay pending; no invoice was marked failed for this.`,
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
    dryRun: run.dryRun,
    concurrency: run.concurrency,
    asOf: run.asOf,
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    continuedAsNew: run.continuedAsNew,
    ...(tally.phases && { phases: tally.phases }),
    ...(heldByOtherRuns && { heldByOtherRuns }),
  };
}

/** Claims of other runs at the end (a report: when it cannot be read, the run still ends). */
async function heldClaims(run: ChargeRun): Promise<HeldClaims | undefined> {
  try {
    return await describeHeldClaims({ claimRunId: run.claimRunId });
  } catch (err) {
    log.warn('could not read the claims held by other runs', { error: err instanceof Error ? err.message : String(err) });
    return undefined;
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}
