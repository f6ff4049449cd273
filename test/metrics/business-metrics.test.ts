import { strict as assert } from 'node:assert';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import type { StripeEventResult } from '../../src/activities/apply-stripe-event';
import type { Db } from '../../src/db/sql';
import { createStripeCustomer } from '../../dev/demo/stripe-customers';
import { createActivities } from '../../src/activities';
import { createBusinessMetrics, currencyLabel, labelValue, type BusinessMetrics } from '../../src/metrics/business-metrics';
import { metricsActivityInterceptors, systemicReason } from '../../src/metrics/activity-interceptor';
import { collectDatabaseGauges } from '../../src/metrics/db-gauges';
import { observeStripe, stripeEndpoint } from '../../src/metrics/stripe-events';
import { createStripeClient } from '../../src/stripe/client';
import { chargePendingInvoices } from '../../src/workflows';
import { authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';
import { insertCustomer, insertInvoice, insertStripeCustomer, PAST } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue } from '../support/temporal';

/** One metric's samples as `label=value,…` → value, for exact comparisons. */
async function samples(metrics: BusinessMetrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `metric ${name} exists`);
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    const labels = Object.entries(v.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, l]) => `${k}=${String(l)}`).join(',');
    // A histogram's samples are named _bucket, _sum, _count.
    const series = (v as { metricName?: string }).metricName;
    out[series && series !== name ? `${series.slice(name.length + 1)}:${labels}` : labels] = v.value;
  }
  return out;
}

describe('business metrics', function () {
  this.timeout(120_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
  });
  beforeEach(() => s.reset());
  after(async () => {
    await env?.teardown();
    await s?.close();
  });

  it('keep label values free of ids and free text', () => {
    assert.equal(stripeEndpoint('/v1/payment_intents'), '/v1/payment_intents');
    assert.equal(stripeEndpoint('/v1/payment_intents/pi_3Q0aBcDeFgHiJkLmNoPqRsTu/cancel'), '/v1/payment_intents/:id/cancel');
    assert.equal(stripeEndpoint('/v1/payment_intents?customer=cus_123&created[gte]=1'), '/v1/payment_intents');
    assert.equal(stripeEndpoint('/v1/customers/cus_9aZ/payment_methods'), '/v1/customers/:id/payment_methods');
    assert.equal(stripeEndpoint('/v1/payment_intents/search'), '/v1/payment_intents/search');
    assert.equal(stripeEndpoint('/v1/Weird Path!/x'), 'other');
    assert.equal(labelValue('insufficient_funds'), 'insufficient_funds');
    assert.equal(labelValue('Your card was declined.'), 'other');
    assert.equal(labelValue('in_1234567890123456789012345678901234567890'), 'other');
    assert.equal(currencyLabel('USD'), 'usd');
    assert.equal(currencyLabel('US dollars'), 'other');
    assert.equal(systemicReason('Stripe rejected the API key (401): check STRIPE_SECRET_KEY'), 'api_key_rejected');
    assert.equal(systemicReason('the Stripe API key lacks permission to create PaymentIntents (403)'), 'permission_denied');
  });

  it('count webhook settlements by action, each event once (a re-delivery of a processed event is not counted)', async () => {
    const metrics = createBusinessMetrics();
    const mock = new MockActivityEnvironment({ activityType: 'applyStripeEvent' }, { interceptors: [metricsActivityInterceptors(metrics, s.db)] });
    const settle = (result: StripeEventResult) => mock.run(async () => result);
    await settle({ eventId: 'evt_1', action: 'paid', reason: 'settled' });
    await settle({ eventId: 'evt_2', action: 'needs_review', reason: 'already_paid' });
    await settle({ eventId: 'evt_1', action: 'paid', reason: 'settled', alreadyProcessed: true });
    const counts = await samples(metrics, 'invoice_webhook_settlements_total');
    assert.equal(counts['action=paid'], 1);
    assert.equal(counts['action=needs_review'], 1);
    assert.equal(counts['action=failed'], 0, 'present at 0 from the start, so an alert sees the first one');
  });

  it('read the database gauges once per scrape, and a failed read fails no scrape', async () => {
    let queries = 0;
    let fail = false;
    const db = {
      query: async () => {
        queries += 1;
        if (fail) throw new Error('database down');
        return [[{ processing_stale: 2, awaiting_auth: 3, due_pending: 4 }], []];
      },
    } as unknown as Db;
    let now = new Date('2026-06-01T00:00:00Z');
    const metrics = createBusinessMetrics();
    collectDatabaseGauges(metrics, db, () => now);
    let text = await metrics.registry.metrics();
    assert.equal(queries, 1, 'three gauges, one query');
    assert.match(text, /^invoice_processing_stale 2$/m);
    assert.match(text, /^invoice_authentication_follow_ups_open 3$/m);
    assert.match(text, /^invoice_due_pending 4$/m);
    now = new Date(now.getTime() + 5_000);
    fail = true;
    text = await metrics.registry.metrics();
    assert.equal(queries, 2);
    assert.match(text, /^invoice_due_pending 4$/m, 'last value kept');
    assert.match(text, /^invoice_metrics_db_errors_total 1$/m);
  });

  it('count Stripe requests, latency by endpoint, and 429s told apart: rate_limit and lock_timeout', async () => {
    const stripe = createStripeClient(Object.assign({ apiBase: new URL(s.stack.stripe.url), timeoutMs: 5_000 }, { secretKey: s.stack.env.STRIPE_SECRET_KEY }), { emitEventBodies: true });
    const metrics = createBusinessMetrics();
    const stop = observeStripe(stripe, metrics);
    const { customerId, paymentMethodId } = await createStripeCustomer(stripe, 'pm_card_visa', 'metrics@example.test');
    const create = (key: string) => stripe.paymentIntents.create(
      { amount: 1000, currency: 'usd', customer: customerId, payment_method: paymentMethodId, off_session: true, confirm: true },
      { idempotencyKey: key },
    );
    // One rate-limit 429, then a success with the same key.
    s.stack.stripe.configure({ faults: { next: ['rateLimit429'] } });
    await assert.rejects(create('metrics-rl'), /rate/i);
    const intent = await create('metrics-rl');
    // Two overlapping writes for one customer: the second meets the first's lock.
    s.stack.stripe.configure({ lockTimeout: { probability: 1 }, latency: { distribution: 'fixed', meanMs: 300 } });
    const overlapping = await Promise.allSettled([create('metrics-lock-1'), new Promise((r) => setTimeout(r, 50)).then(() => create('metrics-lock-2'))]);
    assert.deepEqual(overlapping.map((o) => o.status), ['fulfilled', 'rejected']);
    s.stack.stripe.configure({ lockTimeout: { probability: 0 }, latency: { distribution: 'fixed', meanMs: 0 } });
    await stripe.paymentIntents.retrieve(intent.id);
    stop();
    await stripe.paymentIntents.retrieve(intent.id); // no longer observed

    assert.deepEqual(await samples(metrics, 'stripe_rate_limited_total'), {
      'code=rate_limit,endpoint=/v1/payment_intents': 1,
      'code=lock_timeout,endpoint=/v1/payment_intents': 1,
    });
    const requests = await samples(metrics, 'stripe_requests_total');
    assert.equal(requests['endpoint=/v1/payment_intents,method=post'], 4);
    assert.equal(requests['endpoint=/v1/payment_intents/:id,method=get'], 1);
    assert.equal(requests['endpoint=/v1/customers,method=post'], 1);
    assert.equal(requests['endpoint=/v1/payment_methods/:id/attach,method=post'], 1);
    const durations = await samples(metrics, 'stripe_request_duration_seconds');
    const create200 = 'endpoint=/v1/payment_intents,method=post,status=200';
    assert.equal(durations[`count:${create200}`], 2);
    assert.equal(durations['count:endpoint=/v1/payment_intents,method=post,status=429'], 2);
    // The retry after the 429 answered at once; the first overlapping write took the 300 ms latency.
    const bucket = (le: string) => durations[`bucket:endpoint=/v1/payment_intents,le=${le},method=post,status=200`];
    assert.equal(bucket('0.25'), 1);
    assert.equal(bucket('0.5'), 2);
    const text = await metrics.registry.metrics();
    assert.ok(!/[/"](cus|pi|pm)_/.test(text), 'no Stripe id in any label');
  });

  it('count a real run\'s outcomes by status, currency and decline code, amounts, dunning; read the database gauges', async () => {
    const metrics = createBusinessMetrics();
    collectDatabaseGauges(metrics, s.db);
    const taskQueue = uniqueTaskQueue('metrics');
    const worker = await createTestWorker(env, {
      taskQueue,
      activities: createActivities({ db: s.db, stripe: s.stripe }),
      interceptors: { activity: [metricsActivityInterceptors(metrics, s.db)] },
    });
    const visa = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const invoices = {
      paidUsd: await insertInvoice(s.db, { customerId: visa, amountCents: 5000 }),
      paidEur: await insertInvoice(s.db, { customerId: visa, amountCents: 1250, currency: 'eur' }),
      insufficient: await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclinedInsufficientFunds') }),
      generic: await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclined') }),
      threeDs: await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired') }),
      noMethod: await insertInvoice(s.db, { customerId: await insertCustomer(s.db, { stripeCustomerId: null, stripePaymentMethodId: null }) }),
    };
    const summary = await worker.runUntil(env.client.workflow.execute(chargePendingInvoices, {
      taskQueue, workflowId: `${taskQueue}-run`, args: [{ asOf: new Date().toISOString() }],
    }));
    assert.deepEqual(
      { paid: summary.totals.paid, failed: summary.totals.failed, requires_auth: summary.totals.requires_auth, skipped: summary.totals.skipped },
      { paid: 2, failed: 2, requires_auth: 1, skipped: 1 },
    );

    const charges = await samples(metrics, 'invoice_charges_total');
    assert.deepEqual(charges, {
      'currency=usd,decline_code=,outcome=paid': 1,
      'currency=eur,decline_code=,outcome=paid': 1,
      'currency=usd,decline_code=insufficient_funds,outcome=failed': 1,
      'currency=usd,decline_code=generic_decline,outcome=failed': 1,
      'currency=usd,decline_code=authentication_required,outcome=requires_auth': 1,
      [Object.keys(charges).find((k) => k.endsWith('outcome=skipped')) ?? 'a skipped entry']: 1,
    });
    assert.deepEqual(await samples(metrics, 'invoice_charged_amount_minor_total'), { 'currency=usd': 5000, 'currency=eur': 1250 });
    assert.deepEqual(await samples(metrics, 'invoice_dunning_retries_scheduled_total'), {
      'decline_code=insufficient_funds': 1, 'decline_code=generic_decline': 1,
    });
    assert.deepEqual(await samples(metrics, 'invoice_charges_in_flight'), { '': 0 });
    assert.deepEqual(await samples(metrics, 'invoice_charge_runs_stopped_total'), {
      'reason=api_key_rejected': 0, 'reason=permission_denied': 0, 'reason=other': 0,
    });

    // Database gauges at scrape time: the 3-D Secure invoice waits; a claim past its lease is stale;
    // a due invoice with a card counts as due, the one without a payment method (skipped) does not.
    const stale = await insertInvoice(s.db, { customerId: visa, status: 'processing' });
    await s.db.query('UPDATE invoice SET lease_expires_at = ? WHERE id = ?', [PAST, stale]);
    await insertInvoice(s.db, { customerId: visa, status: 'processing' }); // lease not set: not stale
    await insertInvoice(s.db, { customerId: visa, amountCents: 700 });
    const text = await metrics.registry.metrics();
    assert.match(text, /^invoice_authentication_follow_ups_open 1$/m);
    assert.match(text, /^invoice_processing_stale 1$/m);
    assert.match(text, /^invoice_due_pending 1$/m);
    assert.ok(!new RegExp(`invoice_id|"(${Object.values(invoices).join('|')})"`).test(text), 'no invoice id in any label');

    await env.client.workflow.getHandle(authenticationFollowUpId(invoices.threeDs, 1)).terminate('test over').catch(() => undefined);
  });

  it('count a systemically stopped run once, however many of its charges met the revoked key', async () => {
    const metrics = createBusinessMetrics();
    const taskQueue = uniqueTaskQueue('metrics-stop');
    const revoked = createStripeClient(Object.assign({ apiBase: new URL(s.stack.stripe.url), timeoutMs: 5_000 }, { secretKey: 'sk_test_revoked_key_0000' }));
    const worker = await createTestWorker(env, {
      taskQueue,
      activities: createActivities({ db: s.db, stripe: revoked }),
      interceptors: { activity: [metricsActivityInterceptors(metrics, s.db)] },
    });
    const visa = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    for (let i = 0; i < 4; i += 1) await insertInvoice(s.db, { customerId: visa });
    await assert.rejects(worker.runUntil(env.client.workflow.execute(chargePendingInvoices, {
      taskQueue, workflowId: `${taskQueue}-run`, args: [{ asOf: new Date().toISOString(), concurrency: 4 }],
    })), /rejected the API key|Workflow execution failed/);
    assert.equal((await samples(metrics, 'invoice_charge_runs_stopped_total'))['reason=api_key_rejected'], 1);
    assert.deepEqual(await samples(metrics, 'invoice_charges_total'), {}, 'no outcome was counted for a stopped charge');
    assert.deepEqual(await samples(metrics, 'invoice_charges_in_flight'), { '': 0 });
  });
});
