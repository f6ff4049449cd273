/** The run's running tally, carried across continue-as-new; pure, so workflow code stays small. */
import type { InvoiceRunResult, RunOutcomeStatus } from '../billing/run-outcome';

export type OutcomeTotals = Record<RunOutcomeStatus, number>;

/** The run's phases, in order: claims to resolve, due invoices, due dunning retries. */
export type Phase = 'recover' | 'due' | 'retry';
export const PHASES: readonly Phase[] = ['recover', 'due', 'retry'];

/** One phase's totals: how many it listed, and the outcome of each. */
export type PhaseTotals = OutcomeTotals & { found: number };

export interface RunTally {
  found: number;
  processed: number;
  totals: OutcomeTotals;
  /** Charged (paid) minor units per currency. */
  amounts: Record<string, number>;
  results: InvoiceRunResult[];
  resultsTruncated: boolean;
  /** Charges sent, split into first attempts and dunning retries. */
  attempts: { first: number; retries: number };
  /** Totals per phase (absent in tallies carried from before it existed). */
  phases?: Record<Phase, PhaseTotals>;
}

const emptyTotals = (): OutcomeTotals => ({ paid: 0, requires_auth: 0, failed: 0, skipped: 0, processing: 0, would_charge: 0 });
const emptyPhases = (): Record<Phase, PhaseTotals> => ({
  recover: { found: 0, ...emptyTotals() }, due: { found: 0, ...emptyTotals() }, retry: { found: 0, ...emptyTotals() },
});

/** A phase listed `count` invoices. */
export function addFound(tally: RunTally, phase: Phase, count: number): void {
  tally.found += count;
  tally.phases ??= emptyPhases();
  tally.phases[phase].found += count;
}

export function emptyTally(): RunTally {
  return {
    found: 0,
    processed: 0,
    totals: emptyTotals(),
    amounts: {},
    results: [],
    resultsTruncated: false,
    attempts: { first: 0, retries: 0 },
    phases: emptyPhases(),
  };
}

export function addResult(tally: RunTally, result: InvoiceRunResult, maxResults: number, phase?: Phase): void {
  tally.processed += 1;
  tally.totals[result.status] += 1;
  if (phase !== undefined) {
    tally.phases ??= emptyPhases();
    tally.phases[phase][result.status] += 1;
    result.phase = phase;
  }
  // Entries of attempts sent to Stripe carry their amount; decisions made without Stripe do not.
  if (result.status !== 'skipped' && result.status !== 'would_charge' && result.amount_cents !== undefined) {
    if (result.retry) tally.attempts.retries += 1;
    else tally.attempts.first += 1;
  }
  if (result.status === 'paid' && result.amount_cents !== undefined && result.currency !== undefined) {
    tally.amounts[result.currency] = (tally.amounts[result.currency] ?? 0) + result.amount_cents;
  }
  if (tally.results.length < maxResults) {
    tally.results.push(result);
  } else {
    tally.resultsTruncated = true;
  }
}
