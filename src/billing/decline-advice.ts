/**
 * What a decline says about retrying, advice codes first.
 *
 * Stripe's docs: the retry guidance decline codes used to carry now lives in `advice_code`
 * (`do_not_try_again`, `try_again_later`, `confirm_card_data`); the card network's own codes come
 * as `network_advice_code` (Mastercard merchant advice codes) and `network_decline_code` (the raw
 * response code, e.g. Visa's). Order of precedence:
 *
 *   1. Stripe's own block (`previously_declined_do_not_retry`): hard stop.
 *   2. The network's never-retry codes (Visa category 1, Mastercard MAC 03/21): hard stop.
 *   3. `advice_code = do_not_try_again`: hard stop.
 *   4. Mastercard MAC 01 (new card details exist): wait for a new payment method.
 *      MAC 24–30: retry no earlier than the advised delay.
 *   5. `advice_code = confirm_card_data`: wait for a new payment method.
 *      `advice_code = try_again_later`: retry no earlier than `tryAgainLaterMs`.
 *   6. Only when no advice came: `decline_code` / `code` (hard declines stop or wait; the rest retry).
 *
 * Pure: the decline time comes in; no I/O. The result carries the rule that fired and its inputs,
 * to be stored with the attempt and shown as "why".
 */
import { DEFAULT_NETWORK_RULES, HOUR_MS, networkOf, type CardNetwork, type NetworkRuleTable } from './network-rules';

/** The decline fields of a Stripe card error (`err.raw` / `last_payment_error`), as sent. */
export interface DeclineSignals {
  code?: string | null;
  decline_code?: string | null;
  advice_code?: string | null;
  network_advice_code?: string | null;
  network_decline_code?: string | null;
  /** The card's `brand` (or network); decides which network table reads the network codes. */
  network?: string | null;
}

export type DeclineAction = 'never_retry' | 'retry_not_before' | 'wait_for_new_payment_method';

export interface DeclineDecision {
  action: DeclineAction;
  /** Only for `retry_not_before`: the earliest time a retry may be sent (budgets still apply). */
  notBefore?: Date;
  /** Stable rule name, e.g. "advice:do_not_try_again", "visa:category-1", "mastercard:mac-25". */
  rule: string;
  /** One sentence for people. */
  reason: string;
  /** The signals the decision was made from (network normalised). */
  inputs: Required<{ [K in keyof DeclineSignals]: string | null }> & { network: CardNetwork | null };
}

export interface AdvicePolicy {
  /** `try_again_later` without a network delay: retry no earlier than this after the decline. */
  tryAgainLaterMs: number;
  /** A decline without advice that may succeed later: retry no earlier than this. */
  softDeclineMinDelayMs: number;
  /** `processing_error` (the issuer or Stripe hiccupped): retry no earlier than this. */
  processingErrorDelayMs: number;
}

export const DEFAULT_ADVICE_POLICY: AdvicePolicy = {
  tryAgainLaterMs: 24 * HOUR_MS,
  softDeclineMinDelayMs: 0,
  processingErrorDelayMs: HOUR_MS,
};

/** Stripe's own hard stop once a card passed the network's reattempt cap. */
export const STRIPE_BLOCK_CODES = ['previously_declined_do_not_retry'] as const;

/**
 * Decline codes that say the card itself is unusable for good (Stripe's Smart Retries never retry
 * them): the same card must never be charged again.
 */
const NEVER_RETRY_DECLINE_CODES = new Set([
  'lost_card', 'stolen_card', 'pickup_card', 'restricted_card', 'fraudulent', 'merchant_blacklist',
  'revocation_of_authorization', 'revocation_of_all_authorizations', 'stop_payment_order',
  'invalid_account', 'do_not_honor_permanently', 'highest_risk_level',
  'security_violation', 'transaction_not_allowed', 'card_not_supported', 'currency_not_supported',
]);

/** Decline codes that the customer can fix by giving us other card details or authenticating. */
const NEW_PAYMENT_METHOD_DECLINE_CODES = new Set([
  'expired_card', 'incorrect_number', 'incorrect_cvc', 'invalid_cvc', 'invalid_expiry_month', 'invalid_expiry_year',
  'invalid_number', 'incorrect_zip', 'new_account_information_available', 'authentication_required', 'payment_intent_authentication_failure',
]);

const norm = (v: string | null | undefined): string | null => (v === undefined || v === null || v === '' ? null : v);

function inputsOf(s: DeclineSignals): DeclineDecision['inputs'] {
  return {
    code: norm(s.code),
    decline_code: norm(s.decline_code),
    advice_code: norm(s.advice_code),
    network_advice_code: norm(s.network_advice_code),
    network_decline_code: norm(s.network_decline_code),
    network: norm(s.network) === null ? null : networkOf(s.network),
  };
}

/** Classifies one decline. `declinedAt` is when Stripe answered. */
export function classifyDeclineAdvice(
  signals: DeclineSignals,
  declinedAt: Date,
  rules: NetworkRuleTable = DEFAULT_NETWORK_RULES,
  policy: AdvicePolicy = DEFAULT_ADVICE_POLICY,
): DeclineDecision {
  const inputs = inputsOf(signals);
  const { code, decline_code: declineCode, advice_code: advice, network_advice_code: mac, network_decline_code: ndc } = inputs;
  const after = (ms: number) => new Date(declinedAt.getTime() + ms);
  const stop = (rule: string, reason: string): DeclineDecision => ({ action: 'never_retry', rule, reason, inputs });
  const waitForNew = (rule: string, reason: string): DeclineDecision => ({ action: 'wait_for_new_payment_method', rule, reason, inputs });
  const retry = (rule: string, reason: string, ms: number): DeclineDecision => ({
    action: 'retry_not_before',
    notBefore: after(ms),
    rule,
    reason,
    inputs,
  });

  // 1. Stripe refused to send it to the network: the card's reattempt cap is used up.
  for (const c of STRIPE_BLOCK_CODES) {
    if (code === c || declineCode === c) return stop('stripe:previously_declined_do_not_retry', 'Stripe blocks further attempts on this card (network reattempt cap reached).');
  }

  // 2. The network's own never-retry codes. An unknown network is read with every table:
  //    refusing a retry is the safe side.
  const networks: CardNetwork[] = inputs.network === null ? ['visa', 'mastercard', 'amex', 'discover', 'other'] : [inputs.network];
  for (const n of networks) {
    const r = rules[n];
    if (ndc !== null && r.neverRetryDeclineCodes.includes(ndc)) {
      return stop(`${n}:never-retry-decline-code-${ndc}`, `The ${n} response code ${ndc} may never be retried on this card.`);
    }
    if (mac !== null && r.neverRetryAdviceCodes.includes(mac)) {
      return stop(`${n}:never-retry-advice-code-${mac}`, `The ${n} merchant advice code ${mac} forbids retrying this card.`);
    }
  }

  // 3. Stripe's advice, stop variant.
  if (advice === 'do_not_try_again') return stop('advice:do_not_try_again', 'Stripe advises not to try this card again.');

  // 4. Network advice with a wait or a new card.
  for (const n of networks) {
    const r = rules[n];
    if (mac !== null && r.newPaymentMethodAdviceCodes.includes(mac)) {
      return waitForNew(`${n}:advice-code-${mac}`, `The ${n} merchant advice code ${mac} says new card details exist.`);
    }
    const delay = mac !== null ? r.retryAfterAdviceCodes[mac] : undefined;
    if (delay !== undefined) {
      return retry(`${n}:advice-code-${mac}`, `The ${n} merchant advice code ${mac} allows a retry after ${formatMs(delay)}.`, delay);
    }
  }

  // 5. Stripe's advice, wait variants.
  if (advice === 'confirm_card_data') return waitForNew('advice:confirm_card_data', 'Stripe advises the customer to confirm or update the card details.');
  if (advice === 'try_again_later') return retry('advice:try_again_later', 'Stripe advises trying again later.', policy.tryAgainLaterMs);

  // 6. No advice: the decline code decides.
  const dc = declineCode ?? code;
  if (dc !== null && NEVER_RETRY_DECLINE_CODES.has(dc)) return stop(`decline:${dc}`, `The decline code ${dc} means this card must not be charged again.`);
  if ((declineCode !== null && NEW_PAYMENT_METHOD_DECLINE_CODES.has(declineCode)) || (code !== null && NEW_PAYMENT_METHOD_DECLINE_CODES.has(code))) {
    return waitForNew(`decline:${declineCode ?? code}`, `The decline code ${declineCode ?? code} needs new card details or the customer's action.`);
  }
  if (code === 'processing_error' || declineCode === 'processing_error') {
    return retry('decline:processing_error', 'A processing error: try again a little later.', policy.processingErrorDelayMs);
  }
  return retry(`decline:${dc ?? 'unknown'}`, `The decline ${dc ?? '(no code)'} may succeed later.`, policy.softDeclineMinDelayMs);
}

function formatMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} day${ms === 86_400_000 ? '' : 's'}`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return `${ms} ms`;
}
