/** Per-card network budgets over rolling windows, and the rule table's configuration. */
import { strict as assert } from 'node:assert';
import { checkCardBudget, DAY_MS, DEFAULT_NETWORK_RULES, HOUR_MS, networkOf, resolveNetworkRules } from '../../src/billing/network-rules';

const t0 = new Date('2026-11-01T00:00:00Z').getTime();
const at = (ms: number) => new Date(t0 + ms);
/** n attempts, `step` apart, starting at `start`. */
const series = (n: number, start: number, step: number) => Array.from({ length: n }, (_, i) => at(start + i * step));

describe('network rules: the table', () => {
  it('holds the documented defaults', () => {
    assert.deepEqual(DEFAULT_NETWORK_RULES.visa.budgets, [{ name: 'visa-30d', windowMs: 30 * DAY_MS, maxAttempts: 15 }]);
    assert.deepEqual(DEFAULT_NETWORK_RULES.mastercard.budgets.map((b) => [b.windowMs, b.maxAttempts]), [[DAY_MS, 10], [30 * DAY_MS, 35]]);
    assert.deepEqual([...DEFAULT_NETWORK_RULES.visa.neverRetryDeclineCodes], ['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3']);
    assert.deepEqual([...DEFAULT_NETWORK_RULES.mastercard.neverRetryAdviceCodes], ['03', '21']);
    assert.deepEqual(Object.values(DEFAULT_NETWORK_RULES.mastercard.retryAfterAdviceCodes), [HOUR_MS, DAY_MS, 2 * DAY_MS, 4 * DAY_MS, 6 * DAY_MS, 8 * DAY_MS, 10 * DAY_MS]);
  });

  const brands: Array<[string | null, string]> = [
    ['visa', 'visa'], ['Visa', 'visa'], ['mastercard', 'mastercard'], ['MasterCard', 'mastercard'], ['amex', 'amex'],
    ['American Express', 'amex'], ['discover', 'discover'], ['jcb', 'other'], ['unknown', 'other'], [null, 'other'],
  ];
  for (const [brand, network] of brands) it(`brand ${String(brand)} → ${network}`, () => assert.equal(networkOf(brand), network));

  it('overrides replace fields of one network and keep the rest', () => {
    const rules = resolveNetworkRules({ visa: { budgets: [{ name: 'visa-30d', windowMs: 30 * DAY_MS, maxAttempts: 20 }] } });
    assert.equal(rules.visa.budgets[0].maxAttempts, 20);
    assert.deepEqual(rules.visa.neverRetryDeclineCodes, DEFAULT_NETWORK_RULES.visa.neverRetryDeclineCodes);
    assert.deepEqual(rules.mastercard, DEFAULT_NETWORK_RULES.mastercard);
  });

  const bad: Array<[string, Parameters<typeof resolveNetworkRules>[0], RegExp]> = [
    ['unknown network', { maestro: {} } as never, /unknown card network "maestro"/],
    ['no budget', { visa: { budgets: [] } }, /visa: at least one budget/],
    ['zero max', { mastercard: { budgets: [{ name: 'x', windowMs: DAY_MS, maxAttempts: 0 }] } }, /mastercard.x: maxAttempts/],
    ['bad window', { amex: { budgets: [{ name: 'y', windowMs: -1, maxAttempts: 3 }] } }, /amex.y: windowMs/],
    ['bad delay', { mastercard: { retryAfterAdviceCodes: { '24': -5 } } }, /retryAfterAdviceCodes.24/],
  ];
  for (const [name, overrides, message] of bad) it(`refuses ${name}`, () => assert.throws(() => resolveNetworkRules(overrides), message));
});

describe('network rules: per-card budget', () => {
  interface Row {
    name: string;
    network: 'visa' | 'mastercard' | 'amex';
    prior: Date[];
    proposed: number;
    /** null: allowed; else the earliest time (ms after t0) and the rule. */
    expect: null | { earliest: number; rule: string };
  }
  const TABLE: Row[] = [
    { name: 'no prior attempts', network: 'visa', prior: [], proposed: 0, expect: null },
    { name: 'Visa: 14 in 30 days, the 15th is allowed', network: 'visa', prior: series(14, 0, DAY_MS), proposed: 14 * DAY_MS, expect: null },
    // 15 attempts on days 0..14; the oldest (day 0) leaves the window at day 30.
    { name: 'Visa: the 16th waits until the oldest leaves the 30-day window', network: 'visa', prior: series(15, 0, DAY_MS), proposed: 15 * DAY_MS, expect: { earliest: 30 * DAY_MS, rule: 'visa-30d' } },
    { name: 'Visa: an attempt exactly 30 days old no longer counts', network: 'visa', prior: series(15, 0, DAY_MS), proposed: 30 * DAY_MS, expect: null },
    { name: 'Visa: attempts older than 30 days do not count', network: 'visa', prior: series(40, -100 * DAY_MS, HOUR_MS), proposed: 0, expect: null },
    { name: 'Mastercard: 9 in 24 h, the 10th is allowed', network: 'mastercard', prior: series(9, 0, HOUR_MS), proposed: 9 * HOUR_MS, expect: null },
    { name: 'Mastercard: the 11th in 24 h waits for the 24 h window', network: 'mastercard', prior: series(10, 0, HOUR_MS), proposed: 10 * HOUR_MS, expect: { earliest: DAY_MS, rule: 'mastercard-24h' } },
    // 35 attempts over 7 days (5 a day, so the 24 h window is fine); the oldest leaves at day 30.
    { name: 'Mastercard: 35 in 30 days waits for the 30-day window', network: 'mastercard', prior: series(35, 0, DAY_MS / 5), proposed: 8 * DAY_MS, expect: { earliest: 30 * DAY_MS, rule: 'mastercard-30d' } },
    // Both windows full: after the 24 h window allows it, the 30-day one still refuses; the answer satisfies both.
    { name: 'Mastercard: both windows, the later one wins', network: 'mastercard', prior: [...series(25, -20 * DAY_MS, HOUR_MS), ...series(10, 0, HOUR_MS)], proposed: 10 * HOUR_MS, expect: { earliest: 10 * DAY_MS, rule: 'mastercard-30d' } },
    { name: 'prior attempts in any order', network: 'visa', prior: series(15, 0, DAY_MS).reverse(), proposed: 20 * DAY_MS, expect: { earliest: 30 * DAY_MS, rule: 'visa-30d' } },
  ];

  for (const row of TABLE) {
    it(row.name, () => {
      const d = checkCardBudget({ network: row.network, priorAttempts: row.prior, proposedAt: at(row.proposed) });
      if (row.expect === null) {
        assert.equal(d.allowed, true, JSON.stringify(d));
        return;
      }
      assert.equal(d.allowed, false);
      if (d.allowed) return;
      assert.equal(d.earliestAt.getTime() - t0, row.expect.earliest, `earliest ${d.earliestAt.toISOString()}`);
      assert.equal(d.rule, row.expect.rule);
      // The answer is really allowed, and nothing earlier is.
      assert.equal(checkCardBudget({ network: row.network, priorAttempts: row.prior, proposedAt: d.earliestAt }).allowed, true);
      assert.equal(checkCardBudget({ network: row.network, priorAttempts: row.prior, proposedAt: new Date(d.earliestAt.getTime() - 1) }).allowed, false);
    });
  }

  it('counts are reported for explanations', () => {
    const d = checkCardBudget({ network: 'mastercard', priorAttempts: series(10, 0, HOUR_MS), proposedAt: at(10 * HOUR_MS) });
    assert.deepEqual(d.counts, [
      { budget: 'mastercard-24h', windowMs: DAY_MS, maxAttempts: 10, used: 10 },
      { budget: 'mastercard-30d', windowMs: 30 * DAY_MS, maxAttempts: 35, used: 10 },
    ]);
  });

  it('several invoices on one card share one budget (the caller passes every attempt on the fingerprint)', () => {
    // Three invoices, five attempts each, on one Visa card within 10 days: the next one waits.
    const invoiceA = series(5, 0, DAY_MS);
    const invoiceB = series(5, HOUR_MS, DAY_MS);
    const invoiceC = series(5, 2 * HOUR_MS, DAY_MS);
    const perInvoice = checkCardBudget({ network: 'visa', priorAttempts: invoiceA, proposedAt: at(10 * DAY_MS) });
    assert.equal(perInvoice.allowed, true);
    const perCard = checkCardBudget({ network: 'visa', priorAttempts: [...invoiceA, ...invoiceB, ...invoiceC], proposedAt: at(10 * DAY_MS) });
    assert.equal(perCard.allowed, false);
    if (!perCard.allowed) assert.equal(perCard.earliestAt.getTime(), t0 + 30 * DAY_MS);
  });

  it('uses configured rules', () => {
    const rules = resolveNetworkRules({ visa: { budgets: [{ name: 'visa-20', windowMs: 30 * DAY_MS, maxAttempts: 20 }] } });
    assert.equal(checkCardBudget({ network: 'visa', priorAttempts: series(15, 0, DAY_MS), proposedAt: at(15 * DAY_MS) }, rules).allowed, true);
  });
});
