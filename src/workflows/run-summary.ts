/** The run's running tally, carried across continue-as-new; pure, so workflow code stays small. */
import type { InvoiceRunResult, RunOutcomeStatus } from '../billing/run-outcome';

export type OutcomeTotals = Record<RunOutcomeStatus, number>;

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
}

export function emptyTally(): RunTally {
  return {
    found: 0,
    processed: 0,
    totals: { paid: 0, requires_auth: 0, failed: 0, skipped: 0, processing: 0, would_charge: 0 },
    amounts: {},
    results: [],
    resultsTruncated: false,
    attempts: { first: 0, retries: 0 },
  };
}

export function addResult(tally: RunTally, result: InvoiceRunResult, maxResults: number): void {
  tally.processed += 1;
  tally.totals[result.status] += 1;
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
