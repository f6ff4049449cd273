/** The /_sim admin API, runtime reconfiguration, reset, and signed webhook delivery. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import type { LedgerEntry, SimulatorRuntimeConfig, SimulatorStats } from '../../dev/stripe-simulator';
import { StripeAPIError, StripeRateLimitError, admin, rejectsWith, useSimulator } from './helpers';

describe('stripe-simulator: admin endpoints', () => {
  const { sim, stripe } = useSimulator();

  it('POST /_sim/customers creates a customer with a saved card usable off-session', async () => {
    const created = await admin<{ customerId: string; paymentMethodId: string }>(sim(), 'POST', '/_sim/customers', {
      paymentMethod: 'pm_card_visa',
      email: 'admin@example.com',
    });
    assert.match(created.customerId, /^cus_/);
    assert.match(created.paymentMethodId, /^pm_/);
    const customer = await stripe().customers.retrieve(created.customerId);
    assert.equal((customer as Stripe.Customer).invoice_settings.default_payment_method, created.paymentMethodId);
    const pi = await stripe().paymentIntents.create({
      amount: 1234,
      currency: 'usd',
      customer: created.customerId,
      payment_method: created.paymentMethodId,
      off_session: true,
      confirm: true,
      metadata: { invoice_id: 'admin-1' },
    });
    assert.equal(pi.status, 'succeeded');
  });

  it('createCustomer() does the same programmatically', () => {
    const { customerId, paymentMethodId } = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclined', name: 'Pat' });
    assert.match(customerId, /^cus_/);
    assert.match(paymentMethodId ?? '', /^pm_/);
    assert.deepEqual(sim().createCustomer({ email: 'no-card@example.com' }).paymentMethodId, undefined);
  });

  it('GET /_sim/ledger and /_sim/stats', async () => {
    const ledger = await admin<LedgerEntry[]>(sim(), 'GET', '/_sim/ledger');
    assert.ok(ledger.some((e) => e.metadata.invoice_id === 'admin-1'));
    const stats = await admin<SimulatorStats>(sim(), 'GET', '/_sim/stats');
    assert.equal(stats.requests, 2, 'admin calls are not counted');
    assert.equal(stats.byStatus['200'], 2);
  });

  it('setPaymentMethodBehaviour() lets a declining saved card recover', async () => {
    const { customerId, paymentMethodId } = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
    const params = { amount: 800, currency: 'usd', customer: customerId, payment_method: paymentMethodId as string, off_session: true, confirm: true };
    await assert.rejects(stripe().paymentIntents.create(params), (e: Error) => (e as Stripe.errors.StripeError).decline_code === 'insufficient_funds');
    sim().setPaymentMethodBehaviour(paymentMethodId as string, 'pm_card_visa');
    assert.equal((await stripe().paymentIntents.create(params)).status, 'succeeded');
  });

  it('POST /_sim/config changes rate limit, faults and retention at run time', async () => {
    const config = await admin<SimulatorRuntimeConfig>(sim(), 'POST', '/_sim/config', {
      rateLimitPerSecond: 2,
      faults: { next: ['error500'] },
      idempotencyRetentionMs: 1234,
    });
    assert.equal(config.rateLimitPerSecond, 2);
    assert.equal(config.idempotencyRetentionMs, 1234);
    assert.deepEqual(config.faults.next, ['error500']);
    await rejectsWith(stripe().customers.create({}), StripeAPIError); // the queued 500
    const results = await Promise.allSettled([stripe().paymentIntents.list(), stripe().paymentIntents.list(), stripe().paymentIntents.list()]);
    assert.ok(results.some((r) => r.status === 'rejected' && r.reason instanceof StripeRateLimitError), 'rate limit of 2/s applies');
    const back = await admin<SimulatorRuntimeConfig>(sim(), 'POST', '/_sim/config', { rateLimitPerSecond: 25 });
    assert.equal(back.rateLimitPerSecond, 25);
    assert.equal(back.idempotencyRetentionMs, 1234, 'unspecified settings are kept');
    const current = await admin<SimulatorRuntimeConfig>(sim(), 'GET', '/_sim/config');
    assert.deepEqual(current, back);
  });

  it('POST /_sim/config rejects invalid settings with 400', async () => {
    const res = await fetch(`${sim().url}/_sim/config`, { method: 'POST', body: JSON.stringify({ faults: { error500Rate: 2 } }) });
    assert.equal(res.status, 400);
    const unknownFault = await fetch(`${sim().url}/_sim/config`, { method: 'POST', body: JSON.stringify({ faults: { next: ['explode'] } }) });
    assert.equal(unknownFault.status, 400);
  });

  it('POST /_sim/reset clears customers, intents, ledger and counters', async () => {
    await admin(sim(), 'POST', '/_sim/reset');
    assert.deepEqual(sim().ledger(), []);
    assert.equal(sim().stats().requests, 0);
    assert.equal((await stripe().paymentIntents.list()).data.length, 0);
    await assert.rejects(stripe().customers.retrieve('cus_any'));
  });
});

describe('stripe-simulator: signed webhooks', () => {
  const secret = 'whsec_test_simulator';
  const received: Array<{ body: string; signature: string }> = [];
  let receiver: Server;
  let url = '';
  let failNext = 0;
  const { sim, stripe } = useSimulator();

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(500).end();
          return;
        }
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['stripe-signature']) });
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks`;
  });
  after(async () => {
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('delivers payment_intent events that stripe.webhooks.constructEvent accepts', async () => {
    sim().configure({ webhook: { url, secret, retryDelayMs: 10 } });
    failNext = 1; // the first delivery fails and is retried
    const pi = await stripe().paymentIntents.create({ amount: 999, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, metadata: { invoice_id: 'wh' } });
    await sim().flushWebhooks();
    const events = received.map((r) => stripe().webhooks.constructEvent(r.body, r.signature, secret));
    const types = events.map((e) => e.type).sort();
    assert.deepEqual(types, ['payment_intent.created', 'payment_intent.succeeded']);
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded') as Stripe.PaymentIntentSucceededEvent;
    assert.equal(succeeded.data.object.id, pi.id);
    assert.equal(succeeded.data.object.metadata.invoice_id, 'wh');
    assert.equal(succeeded.request?.id, pi.lastResponse.requestId);
    assert.throws(() => stripe().webhooks.constructEvent(received[0]?.body ?? '', received[0]?.signature ?? '', 'whsec_wrong'));
  });

  it('a decline emits payment_intent.payment_failed; /_sim/events lists every event', async () => {
    await stripe()
      .paymentIntents.create({ amount: 999, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true, off_session: true })
      .catch(() => undefined);
    await sim().flushWebhooks();
    const events = await admin<Array<{ type: string }>>(sim(), 'GET', '/_sim/events');
    assert.ok(events.some((e) => e.type === 'payment_intent.payment_failed'));
    sim().configure({ webhook: null });
  });
});
