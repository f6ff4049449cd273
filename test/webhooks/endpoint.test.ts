import { strict as assert } from 'node:assert';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Worker } from '@temporalio/worker';
import Stripe from 'stripe';
import { createActivities } from '../../src/activities';
import type { StripeEventResult } from '../../src/activities/apply-stripe-event';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { startWebhookServer, WEBHOOK_PATH, type WebhookServer } from '../../src/webhooks/server';
import { stripeEventWorkflowId, temporalStartProcessing, type StartProcessing } from '../../src/webhooks/start-processing';
import { insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue } from '../support/temporal';
import { deliverSigned, eventRows, post, WEBHOOK_SECRET } from './helpers';

describe('Stripe webhook endpoint: signatures, storage before acting, durable hand-off', function () {
  this.timeout(90_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let server: WebhookServer;
  /** One per test: a workflow a test leaves unprocessed is never picked up by a later test's worker. */
  let taskQueue: string;
  const logLines: string[] = [];
  /** Swapped by tests to stand for a Temporal outage. */
  let startProcessing: StartProcessing;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    server = await startWebhookServer(
      { db: s.db, secret: WEBHOOK_SECRET, startProcessing: (e) => startProcessing(e), clock: () => new Date(), log: (l) => logLines.push(l) },
      { port: 0, host: '127.0.0.1' },
    );
  });
  after(async () => {
    await server?.close();
    await env?.teardown();
    await s?.close();
  });
  beforeEach(async () => {
    await s.reset();
    logLines.length = 0;
    taskQueue = uniqueTaskQueue('webhook-endpoint');
    startProcessing = temporalStartProcessing(env.client, taskQueue);
  });

  /**
   * A `requires_auth` invoice whose PaymentIntent has succeeded at Stripe (the customer
   * authenticated), with the signed event that reports it; nothing delivered yet.
   */
  async function authenticatedInvoice(): Promise<{ invoiceId: number; payload: string; eventId: string }> {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired') });
    const activities = createActivities({ db: s.db, stripe: s.stripe });
    const result: InvoiceRunResult = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(activities.chargeInvoice, { invoiceId, asOf: new Date().toISOString(), claimRunId: 'test-run/1' });
    assert.equal(result.status, 'requires_auth');
    const pi = result.payment_intent_id ?? '';
    await s.stripe.paymentIntents.confirm(pi);
    s.stack.stripe.completeAuthentication(pi, 'succeed');
    const intent = await s.stripe.paymentIntents.retrieve(pi);
    const eventId = `evt_test_${invoiceId}_${Date.now()}`;
    const payload = JSON.stringify({
      id: eventId, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000),
      data: { object: intent }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null },
      type: 'payment_intent.succeeded',
    });
    return { invoiceId, payload, eventId };
  }

  async function assertRejected(invoiceId: number, delivery: Promise<{ status: number; body: Record<string, unknown> }>, reason: RegExp) {
    const before = await invoiceRow(s.db, invoiceId);
    const res = await delivery;
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), reason);
    assert.deepEqual(await eventRows(s.db), [], 'nothing stored');
    assert.deepEqual(await invoiceRow(s.db, invoiceId), before, 'invoice unchanged');
  }

  it('rejects a missing signature with 400 and changes nothing', async () => {
    const { invoiceId, payload } = await authenticatedInvoice();
    await assertRejected(invoiceId, post(server.url, payload, undefined), /missing Stripe-Signature/);
  });

  it('rejects a forged signature (another secret, or a tampered body) with 400 and changes nothing', async () => {
    const { invoiceId, payload } = await authenticatedInvoice();
    await assertRejected(invoiceId, deliverSigned(server.url, payload, { secret: 'whsec_not_the_endpoint_secret' }), /signature does not match/);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    await assertRejected(invoiceId, post(server.url, payload.replace('"livemode":false', '"livemode":true'), header), /signature does not match/);
    await assertRejected(invoiceId, post(server.url, payload, 'v1=abc'), /malformed|does not match/);
  });

  it('rejects a signature older than 300 s with 400 and changes nothing', async () => {
    const { invoiceId, payload } = await authenticatedInvoice();
    const stale = Math.floor(Date.now() / 1000) - 301;
    await assertRejected(invoiceId, deliverSigned(server.url, payload, { timestamp: stale }), /older than 300 s/);
  });

  it('never logs the signing secret or the signature', async () => {
    const { payload } = await authenticatedInvoice();
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    await post(server.url, payload, header.replace(/v1=[0-9a-f]+/, 'v1=deadbeef'));
    await post(server.url, payload, header);
    const signatureHex = /v1=([0-9a-f]+)/.exec(header)?.[1] ?? 'missing';
    for (const line of logLines) {
      assert.ok(!line.includes(WEBHOOK_SECRET) && !line.includes(signatureHex) && !line.includes('deadbeef'), line);
    }
  });

  it('answers 404 off the path and 405 for other methods', async () => {
    const base = server.url.replace(WEBHOOK_PATH, '');
    assert.equal((await fetch(`${base}/other`, { method: 'POST', body: '{}' })).status, 404);
    assert.equal((await fetch(server.url)).status, 405);
  });

  it('stores the event before acting: with no worker running it waits, and a worker started later settles it', async () => {
    const { invoiceId, payload, eventId } = await authenticatedInvoice();
    const res = await deliverSigned(server.url, payload);
    assert.equal(res.status, 200);
    // Received and stored; not processed (no worker polls the queue): the invoice has not moved.
    const [stored] = await eventRows(s.db);
    assert.equal(stored.id, eventId);
    assert.equal(stored.type, 'payment_intent.succeeded');
    assert.equal(stored.payload, payload);
    assert.equal(stored.processed_at, null);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'requires_auth');
    // A duplicate delivery meanwhile is fine: same row, same workflow.
    const dup = await deliverSigned(server.url, payload);
    assert.deepEqual([dup.status, dup.body.duplicate], [200, true]);

    const worker: Worker = await createTestWorker(env, { taskQueue, activities: createActivities({ db: s.db, stripe: s.stripe }) });
    const result = await worker.runUntil(env.client.workflow.getHandle(stripeEventWorkflowId(eventId)).result()) as StripeEventResult;
    assert.equal(result.action, 'paid');
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'paid');
    assert.ok((await eventRows(s.db))[0].processed_at instanceof Date);
  });

  it('answers 500 when Temporal cannot take the event, keeps it stored, and a redelivery processes it', async () => {
    const { invoiceId, payload, eventId } = await authenticatedInvoice();
    startProcessing = () => Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
    const res = await deliverSigned(server.url, payload);
    assert.equal(res.status, 500);
    assert.equal((await eventRows(s.db)).length, 1, 'stored before the hand-off');
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'requires_auth');

    startProcessing = temporalStartProcessing(env.client, taskQueue);
    assert.equal((await deliverSigned(server.url, payload)).status, 200);
    const worker: Worker = await createTestWorker(env, { taskQueue, activities: createActivities({ db: s.db, stripe: s.stripe }) });
    await worker.runUntil(env.client.workflow.getHandle(stripeEventWorkflowId(eventId)).result());
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'paid');
    assert.equal((await eventRows(s.db)).length, 1);
  });
});
