/** Lookups, ownership rules, authentication, permission, rate limit and server errors. */
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import {
  KEY,
  StripeAPIError,
  StripeAuthenticationError,
  StripeCardError,
  StripeInvalidRequestError,
  StripePermissionError,
  StripeRateLimitError,
  client,
  newKey,
  rejectsWith,
  useSimulator,
} from './helpers';

describe('stripe-simulator: lookups and ownership', () => {
  const { stripe } = useSimulator({ rateLimitPerSecond: 1000 });

  async function customerWithCard(pm = 'pm_card_visa'): Promise<{ customer: string; pm: string }> {
    const c = await stripe().customers.create({ payment_method: pm, invoice_settings: { default_payment_method: pm } });
    return { customer: c.id, pm: c.invoice_settings.default_payment_method as string };
  }

  it('unknown customer → 400 resource_missing on param customer', async () => {
    const err = await rejectsWith(
      stripe().paymentIntents.create({ amount: 1000, currency: 'usd', customer: 'cus_nope', payment_method: 'pm_card_visa', confirm: true }),
      StripeInvalidRequestError,
    );
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.param, 'customer');
    assert.equal(err.message, "No such customer: 'cus_nope'");
    assert.match(err.request_log_url ?? '', /^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_/);
  });

  it('unknown payment method → 400 resource_missing on param payment_method', async () => {
    const { customer } = await customerWithCard();
    const err = await rejectsWith(
      stripe().paymentIntents.create({ amount: 1000, currency: 'usd', customer, payment_method: 'pm_nope', confirm: true }),
      StripeInvalidRequestError,
    );
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.param, 'payment_method');
    assert.equal(err.message, "No such PaymentMethod: 'pm_nope'");
  });

  it('unknown PaymentIntent → 404 resource_missing', async () => {
    const err = await rejectsWith(stripe().paymentIntents.retrieve('pi_nope'), StripeInvalidRequestError);
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.message, "No such payment_intent: 'pi_nope'");
  });

  it('unknown customer and payment method on retrieve → 404', async () => {
    assert.equal((await rejectsWith(stripe().customers.retrieve('cus_nope'), StripeInvalidRequestError)).statusCode, 404);
    assert.equal((await rejectsWith(stripe().paymentMethods.retrieve('pm_nope'), StripeInvalidRequestError)).statusCode, 404);
  });

  it("another customer's payment method → 400 invalid_request_error", async () => {
    const a = await customerWithCard();
    const b = await customerWithCard();
    const err = await rejectsWith(
      stripe().paymentIntents.create({ amount: 1000, currency: 'usd', customer: b.customer, payment_method: a.pm, off_session: true, confirm: true }),
      StripeInvalidRequestError,
    );
    assert.equal(err.param, 'payment_method');
    assert.equal(
      err.message,
      `The customer does not have a payment method with the ID ${a.pm}. The payment method must be attached to the customer.`,
    );
  });

  it('an attached payment method without its customer → 400', async () => {
    const a = await customerWithCard();
    const err = await rejectsWith(
      stripe().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: a.pm, confirm: true }),
      StripeInvalidRequestError,
    );
    assert.match(err.message, new RegExp(`belongs to the Customer ${a.customer}`));
  });

  it('attach via /v1/payment_methods/:id/attach; attaching to a second customer fails', async () => {
    const c1 = await stripe().customers.create({ email: 'one@example.com' });
    const c2 = await stripe().customers.create({ email: 'two@example.com' });
    const pm = await stripe().paymentMethods.attach('pm_card_mastercard', { customer: c1.id });
    assert.equal(pm.customer, c1.id);
    assert.equal(pm.card?.brand, 'mastercard');
    assert.equal(pm.card?.last4, '4444');
    const err = await rejectsWith(stripe().paymentMethods.attach(pm.id, { customer: c2.id }), StripeInvalidRequestError);
    assert.equal(err.statusCode, 400);
    const pi = await stripe().paymentIntents.create({ amount: 700, currency: 'usd', customer: c1.id, payment_method: pm.id, off_session: true, confirm: true });
    assert.equal(pi.status, 'succeeded');
  });

  it('a payment method used once without a customer cannot be reused', async () => {
    const first = await stripe().paymentIntents.create({ amount: 700, currency: 'usd', payment_method: 'pm_card_visa', confirm: true });
    const err = await rejectsWith(
      stripe().paymentIntents.create({ amount: 700, currency: 'usd', payment_method: first.payment_method as string, confirm: true }),
      StripeInvalidRequestError,
    );
    assert.match(err.message, /may not be used again/);
  });

  it('off_session without confirm → 400', async () => {
    const err = await rejectsWith(
      stripe().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', off_session: true }),
      StripeInvalidRequestError,
    );
    assert.equal(err.param, 'off_session');
  });

  it('confirm without a payment method → payment_intent_unexpected_state', async () => {
    const err = await rejectsWith(stripe().paymentIntents.create({ amount: 1000, currency: 'usd', confirm: true }), StripeInvalidRequestError);
    assert.equal(err.code, 'payment_intent_unexpected_state');
  });

  it('create without confirm, then confirm; confirming again is refused; cancel', async () => {
    const { customer, pm } = await customerWithCard();
    const pi = await stripe().paymentIntents.create({ amount: 900, currency: 'usd', customer, payment_method: pm });
    assert.equal(pi.status, 'requires_confirmation');
    const confirmed = await stripe().paymentIntents.confirm(pi.id, { off_session: true });
    assert.equal(confirmed.status, 'succeeded');
    const again = await rejectsWith(stripe().paymentIntents.confirm(pi.id), StripeInvalidRequestError);
    assert.equal(again.code, 'payment_intent_unexpected_state');
    const other = await stripe().paymentIntents.create({ amount: 900, currency: 'usd', customer });
    const canceled = await stripe().paymentIntents.cancel(other.id, { cancellation_reason: 'abandoned' });
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.cancellation_reason, 'abandoned');
  });

  it('lists a customer\'s PaymentIntents newest first, with pagination (declines included)', async () => {
    const { customer, pm } = await customerWithCard('pm_card_chargeCustomerFail');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      try {
        await stripe().paymentIntents.create({ amount: 1000 + i, currency: 'usd', customer, payment_method: pm, off_session: true, confirm: true });
        assert.fail('expected a decline');
      } catch (err) {
        ids.push((err as Stripe.errors.StripeCardError).payment_intent?.id as string);
      }
    }
    const newestFirst = [...ids].reverse();
    const page1 = await stripe().paymentIntents.list({ customer, limit: 2 });
    assert.equal(page1.object, 'list');
    assert.equal(page1.url, '/v1/payment_intents');
    assert.equal(page1.has_more, true);
    assert.deepEqual(page1.data.map((p) => p.id), newestFirst.slice(0, 2));
    assert.ok(page1.data.every((p) => p.status === 'requires_payment_method'));
    const page2 = await stripe().paymentIntents.list({ customer, limit: 2, starting_after: page1.data[1]?.id });
    assert.deepEqual(page2.data.map((p) => p.id), newestFirst.slice(2, 4));
    const page3 = await stripe().paymentIntents.list({ customer, limit: 2, starting_after: page2.data[1]?.id });
    assert.deepEqual(page3.data.map((p) => p.id), newestFirst.slice(4));
    assert.equal(page3.has_more, false);
    const back = await stripe().paymentIntents.list({ customer, limit: 2, ending_before: page3.data[0]?.id });
    assert.deepEqual(back.data.map((p) => p.id), newestFirst.slice(2, 4));
    const all: string[] = [];
    for await (const p of stripe().paymentIntents.list({ customer, limit: 2 })) all.push(p.id);
    assert.deepEqual(all, newestFirst, 'the SDK auto-pagination walks every page');
    const since = Math.floor(Date.now() / 1000) - 300;
    assert.equal((await stripe().paymentIntents.list({ customer, created: { gte: since }, limit: 100 })).data.length, 5);
    assert.equal((await stripe().paymentIntents.list({ customer, created: { lt: since } })).data.length, 0);
    const unknownCursor = await rejectsWith(stripe().paymentIntents.list({ customer, starting_after: 'pi_nope' }), StripeInvalidRequestError);
    assert.equal(unknownCursor.param, 'starting_after');
  });
});

describe('stripe-simulator: authentication and permissions', () => {
  const { sim, stripe } = useSimulator({ apiKeys: [KEY, 'sk_test_other0000'], restrictedKeys: ['rk_test_readonly9abcd'] });

  it('unknown key → 401 StripeAuthenticationError with the key masked', async () => {
    const key = 'sk_test_totallywrongkey1234';
    const err = await rejectsWith(client(sim(), key).paymentIntents.retrieve('pi_x'), StripeAuthenticationError);
    assert.equal(err.statusCode, 401);
    assert.equal(err.rawType, 'invalid_request_error');
    assert.equal(err.message, 'Invalid API Key provided: sk_test_****1234');
    assert.ok(!JSON.stringify(err.raw).includes(key), 'the full key never appears');
    assert.match(err.requestId ?? '', /^req_/);
  });

  it('no key → 401', async () => {
    const res = await fetch(`${sim().url}/v1/payment_intents`);
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /^You did not provide an API key/);
  });

  it('Basic auth with the key as user name is accepted, as on Stripe', async () => {
    const res = await fetch(`${sim().url}/v1/payment_intents?limit=1`, {
      headers: { Authorization: `Basic ${Buffer.from(`${KEY}:`).toString('base64')}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('request-id') ?? '', /^req_/);
  });

  it('restricted key → 403 StripePermissionError', async () => {
    const err = await rejectsWith(
      client(sim(), 'rk_test_readonly9abcd').paymentIntents.create({ amount: 100, currency: 'usd' }),
      StripePermissionError,
    );
    assert.equal(err.statusCode, 403);
    assert.match(err.message, /^The provided key 'rk_test_\*\*\*\*abcd' does not have the required permissions for this endpoint/);
  });

  it('unknown URL → 404 "Unrecognized request URL"', async () => {
    const err = await rejectsWith(stripe().rawRequest('GET', '/v1/nothing_here'), StripeInvalidRequestError);
    assert.equal(err.statusCode, 404);
    assert.equal(
      err.message,
      'Unrecognized request URL (GET: /v1/nothing_here). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.',
    );
  });

  it('idempotency keys are scoped per API key', async () => {
    const key = newKey('scope');
    const params = { amount: 500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    const a = await stripe().paymentIntents.create(params, { idempotencyKey: key });
    const b = await client(sim(), 'sk_test_other0000').paymentIntents.create(params, { idempotencyKey: key });
    assert.notEqual(a.id, b.id);
    assert.equal(b.lastResponse.headers['idempotent-replayed'], undefined);
  });
});

describe('stripe-simulator: rate limit (token bucket) and 500s', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 5 });

  it('the 6th request within a second → 429 StripeRateLimitError code rate_limit, and the bucket refills', async () => {
    sim().reset();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => stripe().paymentIntents.list({ limit: 1 })));
    const limited = results.filter((r) => r.status === 'rejected');
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
    assert.equal(limited.length, 3);
    const err = (limited[0]).reason as Stripe.errors.StripeError;
    assert.ok(err instanceof StripeRateLimitError);
    assert.equal(err.statusCode, 429);
    assert.equal(err.code, 'rate_limit');
    assert.equal(err.rawType, 'invalid_request_error');
    assert.match(err.message, /^Request rate limit exceeded\./);
    assert.equal(sim().stats().rateLimited, 3);
    await new Promise((r) => setTimeout(r, 450)); // 5/s → two tokens back
    await stripe().paymentIntents.list({ limit: 1 });
  });

  it('a 500 (error500 fault) → StripeAPIError type api_error', async () => {
    sim().configure({ rateLimitPerSecond: 1000, faults: { next: ['error500'] } });
    const err = await rejectsWith(stripe().customers.create({ email: 'x@example.com' }), StripeAPIError);
    assert.equal(err.statusCode, 500);
    assert.equal(err.rawType, 'api_error');
    assert.equal(sim().stats().faults.error500, 1);
  });
});

describe('stripe-simulator: strictAttach (card validation on attach, as on Stripe)', () => {
  const { stripe } = useSimulator({ strictAttach: true });

  it('a declining card fails to attach with 402; pm_card_chargeCustomerFail attaches', async () => {
    const customer = await stripe().customers.create({});
    const err = await rejectsWith(stripe().paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id }), StripeCardError);
    assert.equal(err.code, 'card_declined');
    const pm = await stripe().paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customer.id });
    assert.equal(pm.customer, customer.id);
  });
});
