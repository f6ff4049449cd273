import { strict as assert } from 'node:assert';
import { checkAmount, formatMoney } from '../../src/billing/money';

describe('money: amount rules before anything is sent to Stripe', () => {
  const table: Array<[unknown, unknown, string]> = [
    [5000, 'usd', 'ok'],
    [5000, 'USD', 'ok'],
    [null, 'usd', 'invalid_amount'],
    [0, 'usd', 'invalid_amount'],
    [-100, 'usd', 'invalid_amount'],
    [10.5, 'usd', 'invalid_amount'],
    ['5000', 'usd', 'invalid_amount'],
    [100_000_000, 'usd', 'invalid_amount'],
    [99_999_999, 'usd', 'ok'],
    [49, 'usd', 'amount_too_small'],
    [50, 'usd', 'ok'],
    [29, 'gbp', 'amount_too_small'],
    [30, 'gbp', 'ok'],
    [49, 'jpy', 'amount_too_small'],
    [500, 'jpy', 'ok'],
    [399, 'hkd', 'amount_too_small'],
    [1235, 'bhd', 'invalid_amount'],
    [1230, 'bhd', 'ok'],
    [5000, 'xyz', 'invalid_currency'],
    [5000, 'us', 'invalid_currency'],
    [5000, "usd'; DROP TABLE invoice;--", 'invalid_currency'],
    [5000, null, 'invalid_currency'],
  ];
  for (const [amount, currency, expected] of table) {
    it(`${String(amount)} ${String(currency)} → ${expected}`, () => {
      const r = checkAmount(amount, currency);
      assert.equal(r.kind === 'ok' ? 'ok' : r.code, expected);
    });
  }

  it('formats minor units per currency exponent', () => {
    assert.equal(formatMoney(5000, 'usd'), '50.00 USD');
    assert.equal(formatMoney(5, 'usd'), '0.05 USD');
    assert.equal(formatMoney(500, 'jpy'), '500 JPY');
    assert.equal(formatMoney(1230, 'bhd'), '1.230 BHD');
  });
});
