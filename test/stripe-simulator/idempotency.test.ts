/** Stripe's idempotency rules, through the SDK's `idempotencyKey` option. */
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import {
  StripeAPIError,
  StripeAuthenticationError,
  StripeCardError,
  StripeIdempotencyError,
  StripeInvalidRequestError,
  StripeRateLimitError,
  client,
  newKey,
  rawPost,
  rejectsWith,
  sleep,
  useSimulator,
} from './helpers';

describe('stripe-simulator: idempotency', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000 });
  const visa = (metadata: Record<string, string> = {}): Stripe.PaymentIntentCreateParams => ({
    amount: 4200,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    off_session: true,
    confirm: true,
    metadata,
  });

  beforeEach(() => {
    sim().reset();
    sim().configure({ rateLimitPerSecond: 1000, idempotencyRetentionMs: 24 * 3600_000, faults: { next: [] } });
  });

  it('replays a 200: same object, Idempotent-Replayed: true, one charge', async () => {
    const key = newKey();
    const first = await stripe().paymentIntents.create(visa({ invoice_id: 'a' }), { idempotencyKey: key });
    assert.equal(first.lastResponse.headers['idempotent-replayed'], undefined);
    const second = await stripe().paymentIntents.create(visa({ invoice_id: 'a' }), { idempotencyKey: key });
    assert.deepEqual(second, first);
    assert.equal(second.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(second.lastResponse.headers['original-request'], first.lastResponse.requestId);
    assert.equal(second.lastResponse.headers['idempotency-key'], key);
    assert.notEqual(second.lastResponse.requestId, first.lastResponse.requestId);
    assert.equal(sim().ledger().length, 1);
    assert.equal(sim().stats().replays, 1);
  });

  it('replays byte for byte', async () => {
    const key = newKey();
    const form = { amount: '1000', currency: 'usd', payment_method: 'pm_card_visa', confirm: 'true' };
    const a = await rawPost(sim(), '/v1/payment_intents', form, { 'Idempotency-Key': key });
    const b = await rawPost(sim(), '/v1/payment_intents', form, { 'Idempotency-Key': key });
    assert.equal(b.text, a.text);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
  });

  it('parameter order does not matter; parameter values do', async () => {
    const key = newKey();
    await rawPost(sim(), '/v1/payment_intents', { amount: '1000', currency: 'usd', 'metadata[a]': '1', 'metadata[b]': '2' }, { 'Idempotency-Key': key });
    const reordered = await rawPost(sim(), '/v1/payment_intents', { 'metadata[b]': '2', currency: 'usd', 'metadata[a]': '1', amount: '1000' }, { 'Idempotency-Key': key });
    assert.equal(reordered.headers.get('idempotent-replayed'), 'true');
  });

  it('replays a 402 decline', async () => {
    const key = newKey();
    const params = { ...visa(), payment_method: 'pm_card_chargeDeclinedInsufficientFunds' };
    const first = await rejectsWith(stripe().paymentIntents.create(params, { idempotencyKey: key }), StripeCardError);
    const second = await rejectsWith(stripe().paymentIntents.create(params, { idempotencyKey: key }), StripeCardError);
    assert.equal(second.headers?.['idempotent-replayed'], 'true');
    assert.equal(second.payment_intent?.id, first.payment_intent?.id);
    assert.equal(second.charge, first.charge);
    assert.equal(second.decline_code, 'insufficient_funds');
    assert.equal((await stripe().paymentIntents.list({ limit: 100 })).data.length, 1, 'no second PaymentIntent');
  });

  it('replays a 500, with Stripe-Should-Retry: false', async () => {
    const key = newKey();
    sim().configure({ faults: { next: ['error500'] } });
    const first = await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: key }), StripeAPIError);
    assert.equal(first.statusCode, 500);
    assert.equal(first.headers?.['stripe-should-retry'], 'false');
    const second = await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: key }), StripeAPIError);
    assert.equal(second.statusCode, 500);
    assert.equal(second.headers?.['idempotent-replayed'], 'true');
    assert.equal(sim().ledger().length, 0, 'the injected 500 did nothing');
    assert.equal((await stripe().paymentIntents.create(visa(), { idempotencyKey: newKey() })).status, 'succeeded');
  });

  it('same key, different parameters → 400 StripeIdempotencyError', async () => {
    const key = newKey();
    await stripe().paymentIntents.create(visa({ invoice_id: '1' }), { idempotencyKey: key });
    const err = await rejectsWith(stripe().paymentIntents.create(visa({ invoice_id: '2' }), { idempotencyKey: key }), StripeIdempotencyError);
    assert.equal(err.statusCode, 400);
    assert.equal(err.rawType, 'idempotency_error');
    assert.equal(
      err.message,
      `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
    );
    assert.equal(sim().ledger().length, 1);
  });

  it('same key on another endpoint → idempotency_error', async () => {
    const key = newKey();
    await stripe().customers.create({ email: 'a@example.com' }, { idempotencyKey: key });
    await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: key }), StripeIdempotencyError);
  });

  it('same key while the first request is in flight → 409 idempotency_key_in_use (SDK: StripeAPIError)', async () => {
    const key = newKey();
    sim().configure({ faults: { next: ['slowResponse'], slowResponseMs: 400 } });
    const slow = stripe().paymentIntents.create(visa(), { idempotencyKey: key });
    await sleep(50);
    const conflict = await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: key }), StripeAPIError);
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.code, 'idempotency_key_in_use');
    assert.equal(conflict.rawType, 'invalid_request_error');
    assert.match(conflict.message, /^There is currently another in-progress request using this Idempotent Key/);
    const first = await slow;
    assert.equal(first.status, 'succeeded');
    const replay = await stripe().paymentIntents.create(visa(), { idempotencyKey: key });
    assert.equal(replay.id, first.id);
    assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(sim().stats().idempotencyConflicts, 1);
  });

  it('a 429 is not stored: the same key succeeds afterwards', async () => {
    const key = newKey();
    sim().configure({ faults: { next: ['rateLimit429'] } });
    await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: key }), StripeRateLimitError);
    const ok = await stripe().paymentIntents.create(visa(), { idempotencyKey: key });
    assert.equal(ok.status, 'succeeded');
    assert.equal(ok.lastResponse.headers['idempotent-replayed'], undefined);
  });

  it('a token-bucket 429 is not stored either', async () => {
    const key = newKey();
    sim().configure({ rateLimitPerSecond: 1 });
    await stripe().paymentIntents.list({ limit: 1 }); // takes the only token
    await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: key }), StripeRateLimitError);
    sim().configure({ rateLimitPerSecond: 1000 });
    await sleep(5);
    const ok = await stripe().paymentIntents.create(visa(), { idempotencyKey: key });
    assert.equal(ok.lastResponse.headers['idempotent-replayed'], undefined);
  });

  it('validation 400s and 401s are not stored', async () => {
    const key = newKey();
    await rejectsWith(stripe().paymentIntents.create({ ...visa(), amount: 10 }, { idempotencyKey: key }), StripeInvalidRequestError);
    await rejectsWith(client(sim(), 'sk_test_badbadbad0000').paymentIntents.create(visa(), { idempotencyKey: key }), StripeAuthenticationError);
    const ok = await stripe().paymentIntents.create(visa(), { idempotencyKey: key });
    assert.equal(ok.status, 'succeeded', 'the key was still free');
  });

  it('a resource_missing 400 (execution began) is stored and replayed', async () => {
    const key = newKey();
    const params = { ...visa(), customer: 'cus_missing' };
    await rejectsWith(stripe().paymentIntents.create(params, { idempotencyKey: key }), StripeInvalidRequestError);
    const again = await rejectsWith(stripe().paymentIntents.create(params, { idempotencyKey: key }), StripeInvalidRequestError);
    assert.equal(again.headers?.['idempotent-replayed'], 'true');
  });

  it('keys expire after the retention period; a reuse runs as a new request', async () => {
    sim().configure({ idempotencyRetentionMs: 100 });
    const key = newKey();
    const first = await stripe().paymentIntents.create(visa({ invoice_id: 'r' }), { idempotencyKey: key });
    await sleep(150);
    const second = await stripe().paymentIntents.create(visa({ invoice_id: 'r' }), { idempotencyKey: key });
    assert.notEqual(second.id, first.id);
    assert.equal(second.lastResponse.headers['idempotent-replayed'], undefined);
    assert.equal(sim().ledger().filter((e) => e.metadata.invoice_id === 'r').length, 2, 'a second charge: why keys must not outlive retention');
  });

  it('keys longer than 255 characters → 400', async () => {
    const err = await rejectsWith(stripe().paymentIntents.create(visa(), { idempotencyKey: 'k'.repeat(256) }), StripeInvalidRequestError);
    assert.equal(err.statusCode, 400);
    assert.match(err.message, /^Idempotent key length is 256, which is outside accepted lengths\. Idempotent Keys must be 1-255 characters long/);
    assert.equal((await stripe().paymentIntents.create(visa(), { idempotencyKey: 'k'.repeat(255) })).status, 'succeeded');
  });

  it('the ledger records the idempotency key of the charge', async () => {
    const key = newKey('ledger');
    const pi = await stripe().paymentIntents.create(visa({ invoice_id: 'L1' }), { idempotencyKey: key });
    const [entry] = sim().ledger();
    assert.deepEqual(entry && { ...entry, created: 0 }, {
      paymentIntentId: pi.id,
      chargeId: pi.latest_charge,
      amount: 4200,
      currency: 'usd',
      customer: null,
      paymentMethod: pi.payment_method,
      metadata: { invoice_id: 'L1' },
      idempotencyKey: key,
      created: 0,
    });
  });
});
