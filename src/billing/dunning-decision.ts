/**
 * The dunning decision table, advice codes first: what happens after a failed charge, and whether
 * a due retry may be sent now under the card's network budgets. Every decision names the rule
 * that fired and carries its inputs, which are stored (dunning_decision) and shown as "why".
 *
 * Order after a failure:
 *   1. not a decline at all (bad data, idempotency conflict) → stop;
 *   2. the decline's advice (src/billing/decline-advice.ts: Stripe's block, the networks'
 *      never-retry codes, advice_code, MAC, then decline_code) → stop on this card, wait for a new
 *      payment method, or "no earlier than";
 *   3. the invoice's schedule (days after the first failure, attempt cap) → the retry time is the
 *      later of the schedule and the advised earliest time.
 * Before a retry is sent: every rolling budget of the card's network must allow one more
 * attempt, or the retry is postponed to when they all do (src/billing/network-rules.ts).
 *
 * Pure: no I/O, no clock.
 */
import type { DeclineDetails } from './charge-outcome';
import { classifyDeclineAdvice, DEFAULT_ADVICE_POLICY, type AdvicePolicy, type DeclineDecision } from './decline-advice';
import { DEFAULT_DUNNING_POLICY, isNotADecline, type DunningPolicy } from './dunning';
import { checkCardBudget, DEFAULT_NETWORK_RULES, type BudgetCount, type CardNetwork, type NetworkRuleTable } from './network-rules';

export type DunningAction = 'retry_at' | 'wait_for_new_payment_method' | 'stop' | 'postpone' | 'send';

/** What a decision was made from; stored as JSON with the decision. */
export interface DunningInputs {
  code?: string | null;
  decline_code?: string | null;
  advice_code?: string | null;
  network_advice_code?: string | null;
  network_decline_code?: string | null;
  network?: CardNetwork | null;
  card_fingerprint?: string | null;
  /** Charge attempts on the invoice, the failed one included. */
  charge_attempts?: number;
  first_failed_at?: string;
  /** The scheduled retry (days after the first failure) and the advised earliest time. */
  scheduled_at?: string | null;
  advised_not_before?: string | null;
  /** The rule of the decline's advice, when the schedule or the budget decided the time. */
  advice_rule?: string;
  /** Budget counts at the time asked for (window, maximum, attempts in it). */
  budgets?: BudgetCount[];
  proposed_at?: string;
}

export interface DunningDecisionRecord {
  action: DunningAction;
  /** When the invoice is charged next; null: not automatically (see action). */
  nextAttemptAt: Date | null;
  /** Stable rule name, e.g. "advice:do_not_try_again", "schedule:day-3", "budget:mastercard-24h". */
  rule: string;
  reason: string;
  /** For invoice.dunning_stopped_reason: hard_decline, needs_new_payment_method, attempts_exhausted, not_retryable. */
  stoppedReason: string | null;
  inputs: DunningInputs;
}

export interface FailureSignals {
  code: string;
  declineCode?: string | null;
  adviceCode?: string | null;
  networkAdviceCode?: string | null;
  networkDeclineCode?: string | null;
  /** The card's brand or network, as Stripe reports it. */
  network?: string | null;
  cardFingerprint?: string | null;
}

export interface FailureContext {
  /** When this invoice first failed (now, for the first failure). */
  firstFailedAt: Date;
  /** When Stripe declined. */
  now: Date;
  /** Charge attempts made on the invoice so far, the failed one included. */
  chargeAttempts: number;
}

export interface DunningRules {
  policy: DunningPolicy;
  networkRules: NetworkRuleTable;
  advicePolicy: AdvicePolicy;
}

export const DEFAULT_DUNNING_RULES: DunningRules = {
  policy: DEFAULT_DUNNING_POLICY,
  networkRules: DEFAULT_NETWORK_RULES,
  advicePolicy: DEFAULT_ADVICE_POLICY,
};

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** After a failed charge: when to charge again, or why not, and the rule that decided. */
export function decideAfterFailure(f: FailureSignals, ctx: FailureContext, rules: DunningRules = DEFAULT_DUNNING_RULES): DunningDecisionRecord {
  const base: DunningInputs = {
    code: f.code, decline_code: f.declineCode ?? null, advice_code: f.adviceCode ?? null,
    network_advice_code: f.networkAdviceCode ?? null, network_decline_code: f.networkDeclineCode ?? null,
    card_fingerprint: f.cardFingerprint ?? null, charge_attempts: ctx.chargeAttempts, first_failed_at: ctx.firstFailedAt.toISOString(),
  };
  if (isNotADecline(f.code)) {
    return {
      action: 'stop', nextAttemptAt: null, rule: `not-a-decline:${f.code}`, stoppedReason: 'not_retryable',
      reason: `${f.code} is not a card decline: charging again would fail the same way.`, inputs: base,
    };
  }
  const advice: DeclineDecision = classifyDeclineAdvice({
    code: f.code, decline_code: f.declineCode, advice_code: f.adviceCode,
    network_advice_code: f.networkAdviceCode, network_decline_code: f.networkDeclineCode, network: f.network,
  }, ctx.now, rules.networkRules, rules.advicePolicy);
  const inputs: DunningInputs = { ...base, network: advice.inputs.network };
  if (advice.action === 'never_retry') {
    return { action: 'stop', nextAttemptAt: null, rule: advice.rule, reason: `${advice.reason} Never retried on this card; a new payment method is charged at once.`, stoppedReason: 'hard_decline', inputs };
  }
  if (advice.action === 'wait_for_new_payment_method') {
    return { action: 'wait_for_new_payment_method', nextAttemptAt: null, rule: advice.rule, reason: `${advice.reason} Waiting for a new payment method.`, stoppedReason: 'needs_new_payment_method', inputs };
  }
  // Attempt k (1-based) failed; retry number k uses retryDays[k - 1].
  const day = rules.policy.retryDays[ctx.chargeAttempts - 1];
  if (ctx.chargeAttempts >= rules.policy.maxAttempts || day === undefined) {
    return {
      action: 'stop', nextAttemptAt: null, rule: 'schedule:attempts-exhausted', stoppedReason: 'attempts_exhausted',
      reason: `${ctx.chargeAttempts} attempts made: the schedule has no further retry.`, inputs: { ...inputs, advice_rule: advice.rule },
    };
  }
  const scheduled = new Date(ctx.firstFailedAt.getTime() + day * 86_400_000);
  const notBefore = advice.notBefore ?? ctx.now;
  const adviceWins = notBefore.getTime() > scheduled.getTime();
  const at = adviceWins ? notBefore : scheduled;
  return {
    action: 'retry_at', nextAttemptAt: at, stoppedReason: null,
    rule: adviceWins ? advice.rule : `schedule:day-${day}`,
    reason: adviceWins
      ? `${advice.reason} That is later than the schedule's day ${day}.`
      : `Retry on day ${day} after the first failure (${advice.reason.replace(/\.$/, '')}).`,
    inputs: { ...inputs, advice_rule: advice.rule, scheduled_at: iso(scheduled), advised_not_before: iso(advice.notBefore) },
  };
}

export interface BudgetFacts {
  network: CardNetwork;
  cardFingerprint: string;
  /** Earlier attempts sent on this card (any invoice, any outcome but proven uncharged). */
  priorAttempts: readonly Date[];
  proposedAt: Date;
}

/** Before a retry is sent: send it, or postpone it to when every rolling budget allows one more. */
export function decideRetryBudget(b: BudgetFacts, networkRules: NetworkRuleTable = DEFAULT_NETWORK_RULES): DunningDecisionRecord {
  const check = checkCardBudget({ network: b.network, priorAttempts: b.priorAttempts, proposedAt: b.proposedAt }, networkRules);
  const inputs: DunningInputs = { network: b.network, card_fingerprint: b.cardFingerprint, budgets: check.counts, proposed_at: b.proposedAt.toISOString() };
  if (check.allowed) {
    return { action: 'send', nextAttemptAt: b.proposedAt, rule: `budget:${b.network}-ok`, reason: 'Within every budget of the card network.', stoppedReason: null, inputs };
  }
  const full = check.counts.find((c) => c.budget === check.rule) ?? check.counts.find((c) => c.used >= c.maxAttempts);
  const what = full ? `${full.used} of ${full.maxAttempts} attempts on this card in ${describeWindow(full.windowMs)}` : 'the budget is used up';
  return {
    action: 'postpone', nextAttemptAt: check.earliestAt, rule: `budget:${check.rule}`, stoppedReason: null, inputs,
    reason: `Card network budget ${check.rule}: ${what}; postponed to when the window allows it.`,
  };
}

export function describeWindow(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 86_400_000) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${ms} ms`;
}

/** The dunning columns a failed charge writes, whoever learns of the failure (the charge or a webhook). */
export interface DunningAfterFailure {
  nextAttemptAt: Date | null;
  firstFailedAt: Date;
  failedPaymentMethodId: string | null;
  stoppedReason: string | null;
  /** The rule that fired and its inputs, stored in dunning_decision. */
  decision: DunningDecisionRecord;
}

export function dunningAfterFailure(
  f: FailureSignals & { firstFailedAt: Date | null; now: Date; chargeAttempts: number; failedPaymentMethodId: string | null },
  rules: DunningRules = DEFAULT_DUNNING_RULES,
): DunningAfterFailure {
  const firstFailedAt = f.firstFailedAt ?? f.now;
  const decision = decideAfterFailure(f, { firstFailedAt, now: f.now, chargeAttempts: f.chargeAttempts }, rules);
  return {
    nextAttemptAt: decision.nextAttemptAt,
    firstFailedAt,
    failedPaymentMethodId: f.failedPaymentMethodId,
    stoppedReason: decision.stoppedReason,
    decision,
  };
}

/** The signals of a recorded failure, the card filled in from the attempt when the decline named none. */
export function failureSignals(
  failure: { code: string; declineCode?: string; details?: DeclineDetails },
  card?: { cardFingerprint?: string | null; cardNetwork?: string | null },
): FailureSignals {
  const d = failure.details;
  return {
    code: failure.code,
    declineCode: failure.declineCode ?? null,
    adviceCode: d?.adviceCode ?? null,
    networkAdviceCode: d?.networkAdviceCode ?? null,
    networkDeclineCode: d?.networkDeclineCode ?? null,
    network: d?.cardNetwork ?? card?.cardNetwork ?? null,
    cardFingerprint: d?.cardFingerprint ?? card?.cardFingerprint ?? null,
  };
}
