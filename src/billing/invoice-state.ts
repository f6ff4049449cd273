/**
 * The invoice state machine, in one place. Every SQL statement that moves an invoice names
 * the state it moves *from* (see src/db/invoices.ts), so a transition this table forbids
 * cannot happen even when runs, recovery and webhooks race.
 */
export const INVOICE_STATUSES = ['pending', 'processing', 'paid', 'requires_auth', 'failed', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

const ALLOWED: Record<InvoiceStatus, readonly InvoiceStatus[]> = {
  // A run claims a due invoice, or finds its data unchargeable (bad amount or currency).
  pending: ['processing', 'failed', 'void'],
  // The attempt resolves; 'pending' releases a claim that charged nothing (skip, systemic stop).
  processing: ['paid', 'requires_auth', 'failed', 'pending', 'processing'],
  // Paid is final: nothing ever overwrites it.
  paid: [],
  // The customer authenticates (webhook: paid), or the authentication expires (failed).
  requires_auth: ['paid', 'failed', 'void'],
  // Dunning claims it again (a soft decline's schedule, or a new payment method); a late
  // success reported by Stripe still settles it.
  failed: ['processing', 'paid', 'void'],
  // Voided by the business elsewhere: nothing charges it any more.
  void: [],
};

export function canTransition(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function isInvoiceStatus(value: unknown): value is InvoiceStatus {
  return typeof value === 'string' && (INVOICE_STATUSES as readonly string[]).includes(value);
}

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
}
