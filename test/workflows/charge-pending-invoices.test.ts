import { strict as assert } from 'node:assert';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, ChargeInvoiceInput, InvoicePageQuery } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import type { InvoiceRef } from '../../src/shared';
import { SYSTEMIC_STRIPE_ERROR } from '../../src/shared';
import { chargePendingInvoices, progressQuery } from '../../src/workflows';
import { activitySlotsForChargeRate, concurrencyForChargeRate } from '../../src/charge-concurrency';
import { DEFAULTS } from '../../src/workflows/charge-pending-invoices';
import { getTestStack, STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue, workflowBundle } from '../support/temporal';

/** Activities that page over `ids` in memory; `charge` decides each outcome; the worker's rate is 25/s. */
function fakeActivities(ids: number[], charge: (input: ChargeInvoiceInput) => Promise<InvoiceRunResult>, customerOf?: (id: number) => number) {
  const pages: InvoicePageQuery[] = [];
  const refs = (q: InvoicePageQuery): InvoiceRef[] =>
    ids.filter((id) => id > q.afterId).slice(0, q.limit)
      .map((id) => ({ id, amountCents: 5000, currency: 'usd', ...(customerOf && { customerId: customerOf(id) }) }));
  const activities: Partial<Activities> = {
    async listDueInvoices(q) {
      pages.push(q);
      return refs(q);
    },
    async listClaimsToRecover() {
      return [];
    },
    async describeHeldClaims() {
      return { count: 0, holders: [] };
    },
    async listRetryDueInvoices() {
      return [];
    },
    chargeInvoice: charge,
    async workerSettings() {
      return { chargeRatePerSecond: 25 };
    },
    async previewInvoices({ invoiceIds }) {
      return invoiceIds.map((id) => ({ invoice_id: id, status: 'would_charge' as const, amount_cents: 5000, currency: 'usd' }));
    },
  };
  return { activities, pages };
}

const paid = (invoiceId: number): InvoiceRunResult => ({ invoice_id: invoiceId, status: 'paid', payment_intent_id: `pi_${invoiceId}`, amount_cents: 5000, currency: 'usd' });
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A charge that takes `ms` and pays, counting the most charges in flight at once. */
function slowCharges(ms: number) {
  let inFlight = 0;
  let max = 0;
  const charge = async ({ invoiceId }: ChargeInvoiceInput): Promise<InvoiceRunResult> => {
    inFlight += 1;
    max = Math.max(max, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight -= 1;
    return paid(invoiceId);
  };
  return { charge, maxInFlight: () => max };
}

describe('chargePendingInvoices workflow (real dev server, fake activities)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    env = await testEnvironment(await getTestStack());
    await workflowBundle();
  });
  after(() => env?.teardown());

  async function run(activities: Partial<Activities>, input: Parameters<typeof chargePendingInvoices>[0], activitySlots?: number) {
    const taskQueue = uniqueTaskQueue('wf');
    const worker = await createTestWorker(env, { taskQueue, activities, ...(activitySlots && { maxConcurrentActivityTaskExecutions: activitySlots }) });
    return worker.runUntil(env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: taskQueue, args: [input] }));
  }

  it('pages through every due invoice with a keyset cursor and totals the outcomes', async () => {
    const { activities, pages } = fakeActivities(range(23), async ({ invoiceId }) =>
      invoiceId % 5 === 0 ? { invoice_id: invoiceId, status: 'failed', error: 'card declined' } : paid(invoiceId));
    const summary = await run(activities, { pageSize: 5, asOf: '2026-11-01T00:00:00Z' });
    assert.deepEqual(pages.map((p) => p.afterId), [0, 5, 10, 15, 20, 23]);
    assert.ok(pages.every((p) => p.limit === 5 && p.asOf === '2026-11-01T00:00:00.000Z'));
    assert.equal(summary.found, 23);
    assert.equal(summary.processed, 23);
    assert.deepEqual(summary.results.map((r) => r.invoice_id).sort((a, b) => a - b), range(23));
    assert.equal(summary.totals.paid, 19);
    assert.equal(summary.totals.failed, 4);
    assert.deepEqual(summary.amounts, { usd: 19 * 5000 });
    assert.equal(summary.asOf, '2026-11-01T00:00:00.000Z');
  });

  it('never has more than `concurrency` charges in flight', async () => {
    const slow = slowCharges(50);
    const { activities } = fakeActivities(range(20), slow.charge);
    // The input wins over what the worker's rate would give (120 at 100/s).
    activities.workerSettings = async () => ({ chargeRatePerSecond: 100 });
    const summary = await run(activities, { concurrency: 3, pageSize: 7 });
    assert.equal(summary.totals.paid, 20);
    assert.equal(slow.maxInFlight(), 3);
    assert.equal(summary.concurrency, 3);
  });

  it("derives its concurrency from the worker's charge rate when the input sets none", async () => {
    const slow = slowCharges(1_500);
    // Each invoice its own customer, so only the concurrency bounds what is in flight.
    const { activities } = fakeActivities(range(220), slow.charge, (id) => id);
    activities.workerSettings = async () => ({ chargeRatePerSecond: 100 });
    const summary = await run(activities, {}, 200);
    assert.equal(summary.totals.paid, 220);
    assert.equal(summary.concurrency, 120);
    assert.equal(slow.maxInFlight(), 120, 'a raised 100/s limit keeps 120 charges in flight, not the default 75');
  });

  it('falls back to the default concurrency when the worker cannot say its rate', async () => {
    const { activities } = fakeActivities(range(4), async ({ invoiceId }) => paid(invoiceId));
    delete activities.workerSettings;
    const summary = await run(activities, {});
    assert.equal(summary.totals.paid, 4);
    assert.equal(summary.concurrency, DEFAULTS.concurrency);
  });

  it("sends one customer's invoices one after another, across pages, while other customers' run in parallel", async () => {
    // Every third invoice belongs to customer 1000; the others each to a customer of their own.
    const customerOf = (id: number) => (id % 3 === 0 ? 1000 : id);
    const inFlight = new Map<number, number>();
    let maxPerCustomer = 0;
    let maxInFlight = 0;
    let total = 0;
    const order: number[] = [];
    const { activities } = fakeActivities(range(30), async ({ invoiceId }) => {
      const c = customerOf(invoiceId);
      inFlight.set(c, (inFlight.get(c) ?? 0) + 1);
      total += 1;
      maxPerCustomer = Math.max(maxPerCustomer, inFlight.get(c) ?? 0);
      maxInFlight = Math.max(maxInFlight, total);
      if (c === 1000) order.push(invoiceId);
      await new Promise((r) => setTimeout(r, 40));
      inFlight.set(c, (inFlight.get(c) ?? 1) - 1);
      total -= 1;
      return paid(invoiceId);
    }, customerOf);
    const summary = await run(activities, { concurrency: 5, pageSize: 7 });
    assert.equal(summary.totals.paid, 30);
    assert.equal(maxPerCustomer, 1, 'never two charges of one customer at once');
    assert.equal(maxInFlight, 5, 'the run still uses its concurrency');
    assert.deepEqual(order, range(10).map((i) => i * 3), "one customer's invoices in listing order");
  });

  it('stops the run on a systemic Stripe failure without charging the rest', async () => {
    const charged: number[] = [];
    const { activities } = fakeActivities(range(30), async ({ invoiceId }) => {
      if (invoiceId === 4) throw ApplicationFailure.nonRetryable('Stripe rejected the API key (401)', SYSTEMIC_STRIPE_ERROR);
      charged.push(invoiceId);
      return paid(invoiceId);
    });
    await assert.rejects(run(activities, { concurrency: 2, pageSize: 5 }), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, SYSTEMIC_STRIPE_ERROR);
      assert.match(err.cause.message, /rejected the API key/);
      return true;
    });
    assert.ok(charged.length < 10, `charged ${charged.length} invoices after the stop`);
  });

  it('caps the results in the summary and says so', async () => {
    const { activities } = fakeActivities(range(12), async ({ invoiceId }) => paid(invoiceId));
    const summary = await run(activities, { maxResultsInSummary: 5 });
    assert.equal(summary.results.length, 5);
    assert.equal(summary.resultsTruncated, true);
    assert.equal(summary.totals.paid, 12);
  });

  it('dry run previews and never charges', async () => {
    let charges = 0;
    const { activities } = fakeActivities(range(8), async ({ invoiceId }) => {
      charges += 1;
      return paid(invoiceId);
    });
    const summary = await run(activities, { dryRun: true, pageSize: 3 });
    assert.equal(charges, 0);
    assert.equal(summary.dryRun, true);
    assert.equal(summary.totals.would_charge, 8);
  });

  it('answers the progress query while running', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const { activities } = fakeActivities(range(6), async ({ invoiceId }) => {
      if (invoiceId > 2) await gate;
      return paid(invoiceId);
    });
    const taskQueue = uniqueTaskQueue('progress');
    const worker = await createTestWorker(env, { taskQueue, activities });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(chargePendingInvoices, { taskQueue, workflowId: taskQueue, args: [{ concurrency: 10 }] });
      let progress = await handle.query(progressQuery);
      for (let i = 0; i < 50 && progress.processed < 2; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        progress = await handle.query(progressQuery);
      }
      assert.equal(progress.found, 6);
      assert.equal(progress.processed, 2);
      assert.equal(progress.inFlight, 4);
      release();
      const summary = await handle.result();
      assert.equal(summary.processed, 6);
      const described = await handle.describe();
      assert.deepEqual((described.memo as { totals: { paid: number } }).totals.paid, 6);
    });
  });
});

describe('charge concurrency from the charge rate', () => {
  it('covers 1.2 s of charges at the rate, at least the default and at most 500', () => {
    assert.equal(concurrencyForChargeRate(25), DEFAULTS.concurrency);
    assert.equal(concurrencyForChargeRate(50), 75);
    assert.equal(concurrencyForChargeRate(100), 120);
    assert.equal(concurrencyForChargeRate(200), 240);
    assert.equal(concurrencyForChargeRate(1000), 500);
    assert.equal(concurrencyForChargeRate(0), DEFAULTS.concurrency);
    assert.equal(concurrencyForChargeRate(Number.NaN), DEFAULTS.concurrency);
  });

  it("gives a worker slots for one run's charges and 25 more", () => {
    assert.equal(activitySlotsForChargeRate(25), 100);
    assert.equal(activitySlotsForChargeRate(100), 145);
  });
});
