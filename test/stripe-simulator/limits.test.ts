/** Stripe's 2026 limits: global per mode, per endpoint, 429 before idempotency, lock_timeout, counters. */
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { STRIPE_RATE_LIMITS, type SimulatorStats, type StripeSimulator } from '../../dev/stripe-simulator';
import { KEY, StripeRateLimitError, admin, client, newKey, rejectsWith, sleep, useSimulator } from './helpers';

const LIVE_KEY = 'sk_live_simulator';
const CREATE = 'POST /v1/payment_intents';

const charge = (stripe: Stripe, key?: string, customer?: string, pm = 'pm_card_visa') =>
  stripe.paymentIntents.create(
    { amount: 1000, currency: 'usd', payment_method: pm, confirm: true, off_session: true, ...(customer ? { customer } : {}) },
    key ? { idempotencyKey: key } : undefined,
  );

async function burst(n: number, fn: () => Promise<unknown>): Promise<{ ok: number; limited: StripeRateLimitErrorT[] }> {
  const results = await Promise.allSettled(Array.from({ length: n }, fn));
  const limited = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof StripeRateLimitError ? [r.reason] : []));
  const other = results.filter((r) => r.status === 'rejected' && !(r.reason instanceof StripeRateLimitError));
  assert.equal(other.length, 0, `unexpected errors: ${other.map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
  return { ok: results.filter((r) => r.status === 'fulfilled').length, limited };
}
type StripeRateLimitErrorT = InstanceType<typeof StripeRateLimitError>;

describe('stripe-simulator: rate limits (global + per endpoint)', () => {
  const { sim } = useSimulator({ apiKeys: [KEY, LIVE_KEY] });
  const live = () => client(sim(), LIVE_KEY);
  const test = () => client(sim());
  const fresh = async () => {
    sim().reset();
    await sleep(1100); // a full second of refill for every bucket
  };

  it("defaults to Stripe's limits: 100/s live, 25/s test, 25/s per endpoint, search 20/s", () => {
    const c = sim().config();
    assert.equal(c.rateLimitPerSecond, null);
    assert.deepEqual(c.rateLimits, STRIPE_RATE_LIMITS);
    assert.deepEqual(c.rateLimits, { livePerSecond: 100, testPerSecond: 25, endpointPerSecond: 25, endpoints: { 'GET /v1/payment_intents/search': 20 }, sendRetryAfter: false });
  });

  it('live key: POST /v1/payment_intents is limited to 25/s by its endpoint limit, not the 100/s global one', async () => {
    await fresh();
    const started = performance.now();
    const { ok, limited } = await burst(60, () => charge(live()));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(ok >= 25 && ok <= 25 + Math.ceil(seconds * 25) + 1, `${ok} creates passed in ${seconds.toFixed(2)} s (25 tokens + refill)`);
    assert.ok(limited.length > 0);
    assert.equal(limited.length, 60 - ok);
    for (const e of limited) {
      assert.equal(e.statusCode, 429);
      assert.equal(e.code, 'rate_limit');
      assert.equal(e.headers?.['stripe-should-retry'], undefined, 'no retry advice on a rate-limit 429');
    }
    const s = sim().stats();
    assert.equal(s.rateLimitedByEndpoint[CREATE]?.rate_limit, limited.length);
    assert.equal(s.rateLimitedByScope.endpoint, limited.length);
    assert.equal(s.rateLimitedByScope.global, 0);
    assert.equal(s.rateLimited, limited.length);
    assert.equal(s.requestsByEndpoint[CREATE], 60);
    // Another endpoint has its own budget: retrieving still works at once.
    const anyId = sim().ledger()[0]?.paymentIntentId ?? '';
    assert.equal((await live().paymentIntents.retrieve(anyId)).id, anyId);
    assert.equal((await live().paymentIntents.list({ limit: 1 })).object, 'list');
  });

  it('GET /v1/payment_intents/{id} and GET /v1/payment_intents are separate endpoints of 25/s each', async () => {
    await fresh();
    const pi = await charge(live());
    const retrieves = await burst(35, () => live().paymentIntents.retrieve(pi.id));
    assert.ok(retrieves.limited.length >= 6, `${retrieves.limited.length} retrieves limited`);
    const lists = await burst(20, () => live().paymentIntents.list({ limit: 1 }));
    assert.equal(lists.limited.length, 0, 'the list endpoint kept its own budget');
    assert.ok((sim().stats().rateLimitedByEndpoint['GET /v1/payment_intents/{id}']?.rate_limit ?? 0) >= 6);
  });

  it('test key: the 25/s global limit covers every endpoint together', async () => {
    await fresh();
    const results = await Promise.allSettled([
      ...Array.from({ length: 15 }, () => charge(test())),
      ...Array.from({ length: 15 }, () => test().paymentIntents.list({ limit: 1 })),
    ]);
    const limited = results.filter((r) => r.status === 'rejected' && r.reason instanceof StripeRateLimitError).length;
    assert.ok(limited >= 2 && limited <= 5, `${limited} of 30 limited`);
    assert.equal(sim().stats().rateLimitedByScope.global, limited);
  });

  it('a raised endpoint limit (100/s) lets the burst through', async () => {
    sim().configure({ rateLimits: { endpoints: { [CREATE]: 100 } } });
    await fresh();
    const { ok } = await burst(40, () => charge(live()));
    assert.equal(ok, 40);
    sim().configure({ rateLimits: { endpoints: { 'GET /v1/payment_intents/search': 20 } } });
  });

  it('a 429 is decided before idempotency: nothing is stored, the same key runs later', async () => {
    sim().configure({ rateLimits: { endpoints: { [CREATE]: 0.2 } } }); // one token per 5 s
    await fresh();
    await charge(live()); // takes the only token
    const key = newKey('rl');
    await rejectsWith(charge(live(), key), StripeRateLimitError);
    sim().configure({ rateLimits: { endpoints: { [CREATE]: 25 } } });
    await sleep(200);
    const pi = await charge(live(), key);
    assert.equal(pi.status, 'succeeded');
    assert.notEqual(pi.lastResponse.headers['idempotent-replayed'], 'true', 'executed, not replayed');
    assert.equal(sim().ledger().filter((e) => e.idempotencyKey === key).length, 1);
  });

  it('sendRetryAfter: rate-limit 429s carry Retry-After in whole seconds', async () => {
    sim().configure({ rateLimits: { sendRetryAfter: true, endpoints: { [CREATE]: 0.2 } } });
    await fresh();
    await charge(live());
    const err = await rejectsWith(charge(live()), StripeRateLimitError);
    const seconds = Number(err.headers?.['retry-after']);
    assert.ok(seconds >= 4 && seconds <= 5, `Retry-After ${seconds}`);
    sim().configure({ rateLimits: { sendRetryAfter: false, endpoints: { 'GET /v1/payment_intents/search': 20 } } });
  });

  it('the legacy rateLimitPerSecond is one bucket per mode without endpoint limits; rateLimits switches back', async () => {
    sim().configure({ rateLimitPerSecond: 1000 });
    assert.equal(sim().config().rateLimitPerSecond, 1000);
    await fresh();
    assert.equal((await burst(40, () => charge(test()))).ok, 40);
    sim().configure({ rateLimits: {} });
    assert.equal(sim().config().rateLimitPerSecond, null);
  });

  it('POST /_sim/config validates rate-limit settings', async () => {
    for (const body of [{ rateLimits: { endpoints: { 'POST /v1/nope': 5 } } }, { rateLimits: { testPerSecond: 0 } }, { rateLimits: { bogus: 1 } }, { lockTimeout: { probability: 2 } }]) {
      const res = await fetch(`${sim().url}/_sim/config`, { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
  });
});

describe('stripe-simulator: lock_timeout and customer write overlaps', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000, latency: { distribution: 'fixed', meanMs: 150 } });
  const customer = (s: StripeSimulator) => s.createCustomer({ paymentMethod: 'pm_card_visa' });

  it('counts overlapping writes for one customer without refusing them by default', async () => {
    sim().reset();
    const a = customer(sim());
    const b = customer(sim());
    await Promise.all([charge(stripe(), newKey(), a.customerId, a.paymentMethodId), charge(stripe(), newKey(), a.customerId, a.paymentMethodId), charge(stripe(), newKey(), b.customerId, b.paymentMethodId)]);
    let s = await admin<SimulatorStats>(sim(), 'GET', '/_sim/stats');
    assert.equal(s.customerWriteOverlaps, 1);
    assert.deepEqual(s.overlapsByCustomer, { [a.customerId]: 1 });
    assert.equal(s.maxConcurrentWritesPerCustomer, 2);
    assert.equal(s.lockTimeouts, 0);
    // One after the other: no overlap.
    await charge(stripe(), newKey(), b.customerId, b.paymentMethodId);
    await charge(stripe(), newKey(), b.customerId, b.paymentMethodId);
    s = sim().stats();
    assert.equal(s.customerWriteOverlaps, 1);
  });

  it('with probability 1, a concurrent write for the same customer gets 429 lock_timeout (Stripe-Should-Retry: true), not stored; the same key charges once', async () => {
    sim().reset();
    sim().configure({ lockTimeout: { probability: 1 } });
    const c = customer(sim());
    const k1 = newKey('lock');
    const k2 = newKey('lock');
    const [r1, r2] = await Promise.allSettled([charge(stripe(), k1, c.customerId, c.paymentMethodId), sleep(20).then(() => charge(stripe(), k2, c.customerId, c.paymentMethodId))]);
    assert.equal(r1.status, 'fulfilled');
    assert.equal(r2.status, 'rejected');
    const err = (r2).reason as StripeRateLimitErrorT;
    assert.ok(err instanceof StripeRateLimitError);
    assert.equal(err.code, 'lock_timeout');
    assert.equal(err.headers?.['stripe-should-retry'], 'true');
    const s = sim().stats();
    assert.equal(s.lockTimeouts, 1);
    assert.equal(s.rateLimitedByEndpoint[CREATE]?.lock_timeout, 1);
    assert.equal(s.rateLimited, 0, 'a lock timeout is not a rate-limit 429');
    // Retried with the same key once the other write finished: executes (nothing was stored) and charges once.
    const pi = await charge(stripe(), k2, c.customerId, c.paymentMethodId);
    assert.equal(pi.status, 'succeeded');
    assert.equal(sim().ledger().filter((e) => e.idempotencyKey === k2).length, 1);
    sim().configure({ lockTimeout: { probability: 0 } });
  });

  it('stripe-node retries a lock_timeout by itself when SDK retries are on (it honours Stripe-Should-Retry)', async () => {
    sim().reset();
    sim().configure({ lockTimeout: { probability: 1 } });
    const c = customer(sim());
    const retrying = new Stripe(KEY, { host: '127.0.0.1', port: sim().port, protocol: 'http', maxNetworkRetries: 3, telemetry: false });
    const key = newKey('sdk');
    const [a, b] = await Promise.all([charge(stripe(), newKey(), c.customerId, c.paymentMethodId), sleep(20).then(() => charge(retrying, key, c.customerId, c.paymentMethodId))]);
    assert.equal(a.status, 'succeeded');
    assert.equal(b.status, 'succeeded');
    assert.ok(sim().stats().lockTimeouts >= 1);
    assert.equal(sim().ledger().filter((e) => e.idempotencyKey === key).length, 1);
    sim().configure({ lockTimeout: { probability: 0 } });
  });

  it('windowMs: a write soon after another for the same customer contends too', async () => {
    sim().reset();
    sim().configure({ lockTimeout: { probability: 1, windowMs: 60_000 }, latency: { distribution: 'fixed', meanMs: 0 } });
    const c = customer(sim());
    await charge(stripe(), newKey(), c.customerId, c.paymentMethodId);
    const err = await rejectsWith(charge(stripe(), newKey(), c.customerId, c.paymentMethodId), StripeRateLimitError);
    assert.equal(err.code, 'lock_timeout');
    assert.equal(sim().stats().customerWriteOverlaps, 0, 'not concurrent, so not an overlap');
    sim().configure({ lockTimeout: { probability: 0, windowMs: 0 } });
  });
});
