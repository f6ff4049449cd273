/** Amount and currency rules: minimums per currency, maximum, zero- and three-decimal currencies. */
import assert from 'node:assert/strict';
import { StripeInvalidRequestError, rejectsWith, useSimulator } from './helpers';

describe('stripe-simulator: amounts and currencies', () => {
  const { stripe, sim } = useSimulator({ rateLimitPerSecond: 1000 });

  const charge = (amount: number, currency: string) =>
    stripe().paymentIntents.create({ amount, currency, payment_method: 'pm_card_visa', confirm: true, off_session: true });

  const minimums: Array<[string, number, string]> = [
    ['usd', 50, 'Amount must be at least $0.50 usd'],
    ['eur', 50, 'Amount must be at least €0.50 eur'],
    ['cad', 50, 'Amount must be at least $0.50 cad'],
    ['aud', 50, 'Amount must be at least $0.50 aud'],
    ['chf', 50, 'Amount must be at least 0.50 chf'],
    ['nzd', 50, 'Amount must be at least $0.50 nzd'],
    ['sgd', 50, 'Amount must be at least $0.50 sgd'],
    ['gbp', 30, 'Amount must be at least £0.30 gbp'],
    ['jpy', 50, 'Amount must be at least ¥50 jpy'],
    ['hkd', 400, 'Amount must be at least $4.00 hkd'],
  ];
  for (const [currency, min, message] of minimums) {
    it(`${currency}: ${min} succeeds, ${min - 1} is amount_too_small`, async () => {
      assert.equal((await charge(min, currency)).status, 'succeeded');
      const err = await rejectsWith(charge(min - 1, currency), StripeInvalidRequestError);
      assert.equal(err.statusCode, 400);
      assert.equal(err.rawType, 'invalid_request_error');
      assert.equal(err.code, 'amount_too_small');
      assert.equal(err.param, 'amount');
      assert.equal(err.message, message);
      assert.equal(err.doc_url, 'https://stripe.com/docs/error-codes/amount-too-small');
    });
  }

  it('currency is case-insensitive and lower-cased on the intent', async () => {
    const pi = await charge(100, 'USD');
    assert.equal(pi.currency, 'usd');
  });

  it('99,999,999 is the maximum; one more is amount_too_large', async () => {
    assert.equal((await charge(99_999_999, 'usd')).amount, 99_999_999);
    const err = await rejectsWith(charge(100_000_000, 'usd'), StripeInvalidRequestError);
    assert.equal(err.code, 'amount_too_large');
    assert.equal(err.param, 'amount');
    assert.equal(err.message, 'Amount must be no more than $999,999.99 usd');
  });

  it('zero-decimal currencies take whole units (JPY 50 = ¥50, KRW needs ~0.50 USD)', async () => {
    const jpy = await charge(50, 'jpy');
    assert.equal(jpy.amount_received, 50);
    assert.equal(sim().ledger().find((e) => e.paymentIntentId === jpy.id)?.amount, 50);
    const krw = await rejectsWith(charge(500, 'krw'), StripeInvalidRequestError);
    assert.equal(krw.code, 'amount_too_small');
    assert.match(krw.message, /^Amount must convert to at least 50 cents\./);
    assert.equal((await charge(700, 'krw')).status, 'succeeded');
  });

  it('three-decimal currencies need a last digit of 0', async () => {
    for (const currency of ['bhd', 'jod', 'kwd', 'omr', 'tnd']) {
      const err = await rejectsWith(charge(5125, currency), StripeInvalidRequestError);
      assert.equal(err.code, 'invalid_charge_amount', currency);
      assert.equal(err.param, 'amount');
      assert.equal((await charge(5120, currency)).status, 'succeeded', currency);
    }
    const small = await rejectsWith(charge(190, 'kwd'), StripeInvalidRequestError);
    assert.equal(small.code, 'amount_too_small');
  });

  it('0 and negative amounts are rejected', async () => {
    for (const amount of [0, -100]) {
      const err = await rejectsWith(charge(amount, 'usd'), StripeInvalidRequestError);
      assert.equal(err.param, 'amount');
      assert.equal(err.message, 'This value must be greater than or equal to 1.');
    }
  });

  describe('parameter validation', () => {
    it('missing amount / currency → parameter_missing', async () => {
      const noAmount = await rejectsWith(
        stripe().paymentIntents.create({ currency: 'usd' } as never),
        StripeInvalidRequestError,
      );
      assert.equal(noAmount.code, 'parameter_missing');
      assert.equal(noAmount.param, 'amount');
      assert.equal(noAmount.message, 'Missing required param: amount.');
      const noCurrency = await rejectsWith(
        stripe().paymentIntents.create({ amount: 100 } as never),
        StripeInvalidRequestError,
      );
      assert.equal(noCurrency.code, 'parameter_missing');
      assert.equal(noCurrency.param, 'currency');
    });

    it('non-integer amount → parameter_invalid_integer', async () => {
      const err = await rejectsWith(charge(12.5, 'usd'), StripeInvalidRequestError);
      assert.equal(err.code, 'parameter_invalid_integer');
      assert.equal(err.param, 'amount');
      assert.equal(err.message, 'Invalid integer: 12.5');
    });

    it('unknown currency → "Invalid currency: xyz. Stripe currently supports these currencies: …"', async () => {
      const err = await rejectsWith(charge(1000, 'xyz'), StripeInvalidRequestError);
      assert.equal(err.param, 'currency');
      assert.match(err.message, /^Invalid currency: xyz\. Stripe currently supports these currencies: usd, aed, /);
    });

    it('unknown parameter → parameter_unknown', async () => {
      const err = await rejectsWith(
        stripe().paymentIntents.create({ amount: 100, currency: 'usd', amout: 5 } as never),
        StripeInvalidRequestError,
      );
      assert.equal(err.code, 'parameter_unknown');
      assert.equal(err.param, 'amout');
      assert.equal(err.message, 'Received unknown parameter: amout');
    });

    it('payment_method_types, statement_descriptor and friends are accepted', async () => {
      const pi = await stripe().paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method_types: ['card'],
        statement_descriptor_suffix: 'INV 1',
        receipt_email: 'payer@example.com',
      } as never);
      assert.equal(pi.status, 'requires_payment_method');
      assert.equal(pi.statement_descriptor_suffix, 'INV 1');
    });
  });
});
