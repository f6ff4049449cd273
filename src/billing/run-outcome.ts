/**
 * What a run reports per invoice: the original job's statuses, 'processing' for charges not yet
 * settled (or whose outcome the recovery sweep will establish), and 'would_charge' in dry runs.
 */
export const RUN_OUTCOME_STATUSES = ['paid', 'requires_auth', 'failed', 'skipped', 'processing', 'would_charge'] as const;
export type RunOutcomeStatus = (typeof RUN_OUTCOME_STATUSES)[number];

/** The per-invoice entry of a run's summary, as the original job returned it. */
export interface InvoiceRunResult {
  invoice_id: number;
  status: RunOutcomeStatus;
  payment_intent_id?: string;
  error?: string;
  /** Set for paid invoices so the run can total money per currency. */
  amount_cents?: number;
  currency?: string;
  /** The attempt number, for entries of attempts sent to Stripe. */
  attempt?: number;
  /** A dunning retry of a failed invoice, not its first charge. */
  retry?: boolean;
  /** For failed invoices with a soft decline: when dunning charges it again. */
  next_attempt_at?: string;
  /** The run's phase that listed it: recover (a claim resolved), due, or retry (dunning). */
  phase?: 'recover' | 'due' | 'retry';
}
