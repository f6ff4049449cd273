/**
 * Decline-aware retries (dunning), modelled on Stripe's own Smart Retries and the card
 * networks' rules: soft declines are charged again on a schedule; hard declines wait for a new
 * payment method; retries per card are capped.
 */

export interface DunningPolicy {
  /** Days after the first failure on which the invoice is charged again. */
  retryDays: readonly number[];
  /** Charge attempts per invoice, first one included. */
  maxAttempts: number;
  /** Visa allows at most 15 retries per card in 30 days. */
  maxAttemptsPerCardPer30Days: number;
}

export const DEFAULT_DUNNING_POLICY: DunningPolicy = {
  retryDays: [1, 3, 5, 7, 10, 14],
  maxAttempts: 8,
  maxAttemptsPerCardPer30Days: 15,
};

/** Never retried on the same card: the card is gone, blocked, or the bank said no for good. */
const HARD_DECLINES = new Set([
  'incorrect_number', 'lost_card', 'pickup_card', 'stolen_card', 'revocation_of_authorization',
  'revocation_of_all_authorizations', 'authentication_required', 'highest_risk_level',
  'expired_card', 'invalid_account', 'card_not_supported', 'do_not_honor_permanently',
  // The customer failed the bank's 3-D Secure challenge: charging the same card again won't help.
  'payment_intent_authentication_failure',
]);

/** Failures that are not declines of a card at all (bad data, idempotency conflicts): never retried. */
const NOT_A_DECLINE = new Set([
  'invalid_amount', 'invalid_currency', 'invalid_customer_reference', 'invalid_payment_method_reference',
  'resource_missing', 'idempotency_error', 'amount_too_large', 'authentication_expired',
]);

export type DeclineClass = 'soft' | 'hard' | 'not_a_decline';

export function classifyDecline(code: string | null | undefined, declineCode: string | null | undefined): DeclineClass {
  if (code && NOT_A_DECLINE.has(code)) return 'not_a_decline';
  if ((declineCode && HARD_DECLINES.has(declineCode)) || (code && HARD_DECLINES.has(code))) return 'hard';
  // card_declined with generic_decline / insufficient_funds / card_velocity_exceeded /
  // processing_error / try_again_later, and any unknown decline code, may succeed later.
  return code ? 'soft' : 'not_a_decline';
}

export type RetryPlan =
  | { kind: 'retry_at'; at: Date }
  | { kind: 'stop'; reason: 'hard_decline' | 'attempts_exhausted' | 'not_retryable' };

export interface FailureFacts {
  code: string;
  declineCode?: string | null;
  /** When this invoice first failed (now, for the first failure). */
  firstFailedAt: Date;
  /** Charge attempts made on this invoice so far, the failed one included. */
  chargeAttempts: number;
}

/** What happens after a failed charge: when to try again, or why not. */
export function planRetry(facts: FailureFacts, policy: DunningPolicy = DEFAULT_DUNNING_POLICY): RetryPlan {
  const decline = classifyDecline(facts.code, facts.declineCode);
  if (decline === 'not_a_decline') return { kind: 'stop', reason: 'not_retryable' };
  if (decline === 'hard') return { kind: 'stop', reason: 'hard_decline' };
  // Attempt k (1-based) failed; retry number k uses retryDays[k - 1].
  const day = policy.retryDays[facts.chargeAttempts - 1];
  if (facts.chargeAttempts >= policy.maxAttempts || day === undefined) return { kind: 'stop', reason: 'attempts_exhausted' };
  return { kind: 'retry_at', at: new Date(facts.firstFailedAt.getTime() + day * 86_400_000) };
}

/** A retry that the card networks' per-card limit forbids now is moved by a day. */
export function cardLimitReached(attemptsOnCardLast30Days: number, policy: DunningPolicy = DEFAULT_DUNNING_POLICY): boolean {
  return attemptsOnCardLast30Days >= policy.maxAttemptsPerCardPer30Days;
}

/** The dunning columns a failed charge writes, whoever learns of the failure (the charge or a webhook). */
export interface DunningAfterFailure {
  nextAttemptAt: Date | null;
  firstFailedAt: Date;
  failedPaymentMethodId: string | null;
  stoppedReason: string | null;
}

export function dunningAfterFailure(
  f: { code: string; declineCode?: string | null; firstFailedAt: Date | null; now: Date; chargeAttempts: number; failedPaymentMethodId: string | null },
  policy: DunningPolicy = DEFAULT_DUNNING_POLICY,
): DunningAfterFailure {
  const firstFailedAt = f.firstFailedAt ?? f.now;
  const plan = planRetry({ code: f.code, declineCode: f.declineCode, firstFailedAt, chargeAttempts: f.chargeAttempts }, policy);
  return {
    nextAttemptAt: plan.kind === 'retry_at' ? plan.at : null,
    firstFailedAt,
    failedPaymentMethodId: f.failedPaymentMethodId,
    stoppedReason: plan.kind === 'stop' ? plan.reason : null,
  };
}
