/**
 * Decline-aware retries (dunning), modelled on Stripe's own Smart Retries and the card
 * networks' rules: soft declines are charged again on a schedule; hard declines wait for a new
 * payment method. The decision table, advice codes first, is in dunning-decision.ts; the per-card
 * network budgets (the only per-card caps) in network-rules.ts.
 */

export interface DunningPolicy {
  /** Days after the first failure on which the invoice is charged again. */
  retryDays: readonly number[];
  /** Charge attempts per invoice, first one included. */
  maxAttempts: number;
}

export const DEFAULT_DUNNING_POLICY: DunningPolicy = {
  retryDays: [1, 3, 5, 7, 10, 14],
  maxAttempts: 8,
};

/** Failures that are not declines of a card at all (bad data, idempotency conflicts): never retried. */
const NOT_A_DECLINE = new Set([
  'invalid_amount', 'invalid_currency', 'invalid_customer_reference', 'invalid_payment_method_reference',
  'resource_missing', 'idempotency_error', 'amount_too_large', 'authentication_expired',
]);

export function isNotADecline(code: string | null | undefined): boolean {
  return !code || NOT_A_DECLINE.has(code);
}
