/**
 * Card-network retry rules, in one table, and the per-card budget check.
 *
 * Breaking these rules costs per-transaction fines and gets a merchant's retries blocked, so a
 * retry that would exceed a budget is postponed to when the rolling windows allow it, never sent.
 * Budgets count per card (the PaymentMethod's `card.fingerprint`, so the same card saved twice is
 * one card) and per network, across every invoice charged to that card.
 *
 * Pure: no I/O, no clock (time comes in as arguments), safe to import from workflow code.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Networks with rules of their own; every other brand uses `other`. */
export type CardNetwork = 'visa' | 'mastercard' | 'amex' | 'discover' | 'other';

export const CARD_NETWORKS: readonly CardNetwork[] = ['visa', 'mastercard', 'amex', 'discover', 'other'];

/** At most `maxAttempts` attempts on one card within any `windowMs` (rolling). */
export interface RollingBudget {
  /** For explanations, e.g. "visa-30d". */
  name: string;
  windowMs: number;
  maxAttempts: number;
}

export interface NetworkRules {
  /** Raw network response codes (`network_decline_code`) that may never be retried on the card. */
  neverRetryDeclineCodes: readonly string[];
  /** Merchant advice codes (`network_advice_code`) that may never be retried on the card. */
  neverRetryAdviceCodes: readonly string[];
  /** Merchant advice codes that mean "the card's details changed": wait for a new payment method. */
  newPaymentMethodAdviceCodes: readonly string[];
  /** Merchant advice code → the earliest retry, as a delay after the decline. */
  retryAfterAdviceCodes: Readonly<Record<string, number>>;
  /** Rolling per-card budgets; every one must allow the attempt. */
  budgets: readonly RollingBudget[];
  /** Where the rule comes from (shown in explanations and docs). */
  source: string;
}

export type NetworkRuleTable = Readonly<Record<CardNetwork, NetworkRules>>;

/**
 * Visa category 1 ("issuer will never approve"): pick-up card (04, 07), invalid transaction (12),
 * invalid account number (14), no such issuer (15), lost (41), stolen (43), closed account (46),
 * transaction not permitted (57), stop payment orders (R0, R1, R3).
 */
export const VISA_CATEGORY_1 = ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'] as const;

/** Mastercard merchant advice codes 24–30: retry after 1 h, 24 h, 2, 4, 6, 8, 10 days. */
export const MASTERCARD_RETRY_AFTER: Readonly<Record<string, number>> = {
  '24': HOUR_MS,
  '25': DAY_MS,
  '26': 2 * DAY_MS,
  '27': 4 * DAY_MS,
  '28': 6 * DAY_MS,
  '29': 8 * DAY_MS,
  '30': 10 * DAY_MS,
};

/**
 * The defaults. Visa's 2025 rule is 20 per 30 days with merchant- and customer-initiated counted
 * apart, but Stripe itself blocks after the 15th (`previously_declined_do_not_retry`), so 15 is the
 * budget that is never answered by a block. Amex and Discover publish no per-card cap; they get the
 * same conservative budget as Visa (configurable) rather than none.
 */
export const DEFAULT_NETWORK_RULES: NetworkRuleTable = {
  visa: {
    neverRetryDeclineCodes: VISA_CATEGORY_1,
    neverRetryAdviceCodes: [],
    newPaymentMethodAdviceCodes: [],
    retryAfterAdviceCodes: {},
    budgets: [{ name: 'visa-30d', windowMs: 30 * DAY_MS, maxAttempts: 15 }],
    source: 'Visa reattempt rules: category 1 never; at most 15 per card in 30 days (Stripe blocks after the 15th)',
  },
  mastercard: {
    neverRetryDeclineCodes: [],
    neverRetryAdviceCodes: ['03', '21'],
    newPaymentMethodAdviceCodes: ['01'],
    retryAfterAdviceCodes: MASTERCARD_RETRY_AFTER,
    budgets: [
      { name: 'mastercard-24h', windowMs: DAY_MS, maxAttempts: 10 },
      { name: 'mastercard-30d', windowMs: 30 * DAY_MS, maxAttempts: 35 },
    ],
    source: 'Mastercard Merchant Advice Codes and excessive-retry rules: 10 per card in 24 h, 35 in 30 days',
  },
  amex: {
    neverRetryDeclineCodes: [],
    neverRetryAdviceCodes: [],
    newPaymentMethodAdviceCodes: [],
    retryAfterAdviceCodes: {},
    budgets: [{ name: 'amex-30d', windowMs: 30 * DAY_MS, maxAttempts: 15 }],
    source: 'no published per-card cap; conservative default equal to Visa',
  },
  discover: {
    neverRetryDeclineCodes: [],
    neverRetryAdviceCodes: [],
    newPaymentMethodAdviceCodes: [],
    retryAfterAdviceCodes: {},
    budgets: [{ name: 'discover-30d', windowMs: 30 * DAY_MS, maxAttempts: 15 }],
    source: 'no published per-card cap; conservative default equal to Visa',
  },
  other: {
    neverRetryDeclineCodes: [],
    neverRetryAdviceCodes: [],
    newPaymentMethodAdviceCodes: [],
    retryAfterAdviceCodes: {},
    budgets: [{ name: 'other-30d', windowMs: 30 * DAY_MS, maxAttempts: 15 }],
    source: 'no published per-card cap; conservative default equal to Visa',
  },
};

/**
 * Stripe's `card.brand` / `card.networks.available` values → our network. Stripe spells them
 * `visa`, `mastercard`, `amex`, `discover`, `diners`, `jcb`, `unionpay`, `cartes_bancaires`,
 * `eftpos_au`, `interac`, `unknown`; display names ("Visa", "MasterCard", "American Express") are
 * accepted too.
 */
export function networkOf(brand: string | null | undefined): CardNetwork {
  const b = (brand ?? '').toLowerCase().replace(/[\s_-]/g, '');
  if (b === 'visa') return 'visa';
  if (b === 'mastercard' || b === 'mc') return 'mastercard';
  if (b === 'amex' || b === 'americanexpress') return 'amex';
  if (b === 'discover') return 'discover';
  return 'other';
}

/** Partial overrides per network; a given field replaces the default's field. */
export type NetworkRuleOverrides = Partial<Record<CardNetwork, Partial<NetworkRules>>>;

function validateBudget(network: string, b: RollingBudget): void {
  if (typeof b.name !== 'string' || b.name === '') throw new Error(`${network}: every budget needs a name`);
  if (!(Number.isInteger(b.windowMs) && b.windowMs > 0)) throw new Error(`${network}.${b.name}: windowMs must be a positive integer`);
  if (!(Number.isInteger(b.maxAttempts) && b.maxAttempts >= 1)) {
    throw new Error(`${network}.${b.name}: maxAttempts must be an integer ≥ 1`);
  }
}

/** Defaults merged with overrides; throws a message saying what to fix on a bad value. */
export function resolveNetworkRules(overrides: NetworkRuleOverrides = {}, base: NetworkRuleTable = DEFAULT_NETWORK_RULES): NetworkRuleTable {
  for (const key of Object.keys(overrides)) {
    if (!CARD_NETWORKS.includes(key as CardNetwork)) throw new Error(`unknown card network "${key}" (known: ${CARD_NETWORKS.join(', ')})`);
  }
  const out = {} as Record<CardNetwork, NetworkRules>;
  for (const network of CARD_NETWORKS) {
    const merged: NetworkRules = { ...base[network], ...(overrides[network] ?? {}) };
    if (merged.budgets.length === 0) throw new Error(`${network}: at least one budget is required (a card network cap is a money rule)`);
    for (const b of merged.budgets) validateBudget(network, b);
    for (const [code, delay] of Object.entries(merged.retryAfterAdviceCodes)) {
      if (!(Number.isInteger(delay) && delay >= 0)) throw new Error(`${network}: retryAfterAdviceCodes.${code} must be a non-negative integer (ms)`);
    }
    out[network] = merged;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Budget check

export interface BudgetInput {
  network: CardNetwork;
  /**
   * Every attempt already sent to the network on this card (same fingerprint, same network),
   * across all invoices and customers, whatever its outcome. Order does not matter.
   */
  priorAttempts: readonly Date[];
  /** When we would like to attempt. */
  proposedAt: Date;
}

export interface BudgetCount {
  budget: string;
  windowMs: number;
  maxAttempts: number;
  /** Attempts within (at − window, at], for the time the decision is about. */
  used: number;
}

export type BudgetDecision =
  | { allowed: true; at: Date; counts: BudgetCount[] }
  | {
      allowed: false;
      /** The earliest time every rolling window allows one more attempt. */
      earliestAt: Date;
      /** The budget that postponed the attempt the furthest. */
      rule: string;
      /** Counts at the proposed time (explains why it was refused). */
      counts: BudgetCount[];
    };

/** An attempt at `a` counts in the window at time `t` when t − window < a ≤ t. */
function countIn(sorted: readonly number[], t: number, windowMs: number): number {
  let n = 0;
  for (const a of sorted) if (a > t - windowMs && a <= t) n++;
  return n;
}

function countsAt(sorted: readonly number[], t: number, budgets: readonly RollingBudget[]): BudgetCount[] {
  return budgets.map((b) => ({ budget: b.name, windowMs: b.windowMs, maxAttempts: b.maxAttempts, used: countIn(sorted, t, b.windowMs) }));
}

/** The earliest t ≥ from at which this window holds fewer than max attempts. */
function earliestFor(sorted: readonly number[], from: number, b: RollingBudget): number {
  const inWindow = sorted.filter((a) => a > from - b.windowMs && a <= from);
  if (inWindow.length < b.maxAttempts) return from;
  // The oldest (used − max + 1) attempts must leave the window; the last of them leaves at a + window.
  return inWindow[inWindow.length - b.maxAttempts] + b.windowMs;
}

/**
 * Whether one more attempt on the card is allowed at `proposedAt`, or the earliest time all of
 * the network's rolling budgets allow it.
 */
export function checkCardBudget(input: BudgetInput, rules: NetworkRuleTable = DEFAULT_NETWORK_RULES): BudgetDecision {
  const { budgets } = rules[input.network];
  const sorted = input.priorAttempts.map((d) => d.getTime()).sort((x, y) => x - y);
  const proposed = input.proposedAt.getTime();
  const atProposed = countsAt(sorted, proposed, budgets);
  if (atProposed.every((c) => c.used < c.maxAttempts)) return { allowed: true, at: new Date(proposed), counts: atProposed };

  // Moving later for one window can only lower the counts of every window (no future attempts
  // are added), but the attempts counted at the new time differ; iterate to the fixed point.
  let t = proposed;
  let rule = '';
  for (let guard = 0; guard <= sorted.length + 1; guard++) {
    let next = t;
    for (const b of budgets) {
      const e = earliestFor(sorted, t, b);
      if (e > next) {
        next = e;
        rule = b.name;
      }
    }
    if (next === t) break;
    t = next;
  }
  return { allowed: false, earliestAt: new Date(t), rule, counts: atProposed };
}
