/**
 * Fault injection, seen from the SDK. Note stripe@23 re-sends once, with the same Idempotency-Key,
 * when a connection is closed (ECONNRESET) even with maxNetworkRetries: 0 — so one reset or drop
 * is invisible to the caller; two in a row surface as StripeConnectionError.
 */
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { startStripeSimulator, type StripeSimulator } from '../../dev/stripe-simulator';
import { StripeAPIError, StripeConnectionError, client, newKey, rejectsWith, sleep, useSimulator } from './helpers';

const params = (invoiceId: string): Stripe.PaymentIntentCreateParams => ({
  amount: 2500,
  currency: 'usd',
  payment_method: 'pm_card_visa',
  off_session: true,
  confirm: true,
  metadata: { invoice_id: invoiceId },
});

describe('stripe-simulator: faults', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000 });
  const ledgerFor = (invoiceId: string) => sim().ledger().filter((e) => e.metadata.invoice_id === invoiceId);

  beforeEach(() => {
    sim().reset();
    sim().configure({ faults: { next: [], nextAppliesTo: 'post' } });
  });

  it('resetBefore ×2 → StripeConnectionError and nothing charged', async () => {
    sim().configure({ faults: { next: ['resetBefore', 'resetBefore'] } });
    const err = await rejectsWith(stripe().paymentIntents.create(params('rb'), { idempotencyKey: newKey() }), StripeConnectionError);
    assert.match(err.message, /connection to Stripe/);
    assert.equal(ledgerFor('rb').length, 0);
    assert.equal((await stripe().paymentIntents.list({ limit: 10 })).data.length, 0);
    assert.equal(sim().stats().faults.resetBefore, 2);
  });

  it('a single resetBefore is absorbed by the SDK\'s own re-send (same key)', async () => {
    sim().configure({ faults: { next: ['resetBefore'] } });
    const pi = await stripe().paymentIntents.create(params('rb1'), { idempotencyKey: newKey() });
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.lastResponse.headers['idempotent-replayed'], undefined, 'nothing had been committed');
    assert.equal(sim().stats().requests, 2);
  });

  it('dropAfterCommit: the charge happened, the retry with the same key replays it, one ledger entry', async () => {
    const key = newKey('drop');
    sim().configure({ faults: { next: ['dropAfterCommit', 'resetBefore'] } });
    await rejectsWith(stripe().paymentIntents.create(params('drop'), { idempotencyKey: key }), StripeConnectionError);
    assert.equal(ledgerFor('drop').length, 1, 'committed before the connection dropped');
    const retry = await stripe().paymentIntents.create(params('drop'), { idempotencyKey: key });
    assert.equal(retry.status, 'succeeded');
    assert.equal(retry.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(ledgerFor('drop').length, 1);
    assert.equal(ledgerFor('drop')[0]?.paymentIntentId, retry.id);
  });

  it('a single dropAfterCommit is absorbed: the SDK re-sends and receives the replay', async () => {
    sim().configure({ faults: { next: ['dropAfterCommit'] } });
    const pi = await stripe().paymentIntents.create(params('drop1'), { idempotencyKey: newKey() });
    assert.equal(pi.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(ledgerFor('drop1').length, 1);
  });

  it('slowResponse → SDK timeout (StripeConnectionError); 409 while held; replay afterwards', async () => {
    const key = newKey('slow');
    sim().configure({ faults: { next: ['slowResponse'], slowResponseMs: 600 } });
    const impatient = client(sim(), undefined, 150);
    const timeout = await rejectsWith(impatient.paymentIntents.create(params('slow'), { idempotencyKey: key }), StripeConnectionError);
    assert.match(timeout.message, /timeout/);
    assert.equal(ledgerFor('slow').length, 1, 'committed although the client gave up');
    const busy = await rejectsWith(impatient.paymentIntents.create(params('slow'), { idempotencyKey: key }), StripeAPIError);
    assert.equal(busy.statusCode, 409, 'stripe@23 maps a 409 to StripeAPIError');
    assert.equal(busy.code, 'idempotency_key_in_use');
    await sleep(600);
    const replay = await impatient.paymentIntents.create(params('slow'), { idempotencyKey: key });
    assert.equal(replay.lastResponse.headers['idempotent-replayed'], 'true');
    assert.equal(ledgerFor('slow').length, 1);
    assert.equal(sim().stats().faults.slowResponse, 1);
  });

  it('nextAppliesTo: GETs skip the queue by default, consume it with "all"', async () => {
    sim().configure({ faults: { next: ['error500'] } });
    await stripe().paymentIntents.list({ limit: 1 });
    assert.equal(sim().config().faults.next?.length, 1);
    sim().configure({ faults: { nextAppliesTo: 'all' } });
    await assert.rejects(stripe().paymentIntents.list({ limit: 1 }), (e: Error) => (e as Stripe.errors.StripeError).statusCode === 500);
    assert.equal(sim().config().faults.next?.length, 0);
  });

  it('nextPathPrefix keeps other traffic from consuming a queued fault', async () => {
    sim().configure({ faults: { next: ['error500'], nextPathPrefix: '/v1/payment_intents' } });
    await stripe().customers.create({ email: 'bystander@example.com' });
    await assert.rejects(stripe().paymentIntents.create(params('prefix')), (e: Error) => (e as Stripe.errors.StripeError).statusCode === 500);
    sim().configure({ faults: { nextPathPrefix: '' } });
  });

  it('rates are drawn from the seeded PRNG: the same seed gives the same faults', async () => {
    const run = async (): Promise<string[]> => {
      const s: StripeSimulator = await startStripeSimulator({ seed: 7, rateLimitPerSecond: 1000, faults: { error500Rate: 0.3, rateLimit429Rate: 0.2 } });
      try {
        const c = client(s);
        const outcomes: string[] = [];
        for (let i = 0; i < 20; i++) {
          outcomes.push(await c.customers.create({ email: `${i}@example.com` }).then(() => '200', (e: Stripe.errors.StripeError) => String(e.statusCode)));
        }
        const stats = s.stats();
        assert.equal(stats.faults.error500, outcomes.filter((o) => o === '500').length);
        assert.equal(stats.faults.rateLimit429, outcomes.filter((o) => o === '429').length);
        return outcomes;
      } finally {
        await s.close();
      }
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a, b);
    assert.ok(a.includes('500') && a.includes('429') && a.includes('200'), a.join(','));
  });

  it('latency is added to each request', async () => {
    sim().configure({ latency: { distribution: 'fixed', meanMs: 80 } });
    const started = performance.now();
    await stripe().paymentIntents.list({ limit: 1 });
    assert.ok(performance.now() - started >= 75);
    sim().configure({ latency: { distribution: 'uniform', meanMs: 0, minMs: 0, maxMs: 0 } });
  });
});
