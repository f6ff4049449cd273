/**
 * Per-customer lanes and Stripe's 429s, end to end: the real workflow and activities on the
 * stack's Temporal dev server, MariaDB and the Stripe simulator, whose request log
 * (GET /_sim/requests) shows when each request arrived and was answered.
 */
import { strict as assert } from 'node:assert';
import { defaultPayloadConverter } from '@temporalio/common';
import type { RowDataPacket } from 'mysql2/promise';
import { STRIPE_RATE_LIMITS, type RequestLogEntry } from '../../dev/stripe-simulator';
import { chargePendingInvoices } from '../../src/workflows';
import { insertInvoice, insertStripeCustomer } from '../support/fixtures';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

const CREATE = 'POST /v1/payment_intents';

describe('customer lanes and 429s in a charging run (real worker, MariaDB, simulator)', function () {
  this.timeout(180_000);
  let w: RealWorker;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    w = await startRealWorker('lanes');
  });
  after(async function () {
    this.timeout(60_000);
    await w?.stop();
  });
  beforeEach(() => w.services.reset());

  const sim = () => w.services.stack.stripe;
  const run = (input: Parameters<typeof chargePendingInvoices>[0] = {}, workflowId = `${w.taskQueue}-${Date.now()}`) =>
    w.env.client.workflow.execute(chargePendingInvoices, { taskQueue: w.taskQueue, workflowId, args: [input] });

  async function stripeCustomerOf(customerId: number): Promise<string> {
    const [rows] = await w.services.db.query<RowDataPacket[]>('SELECT stripe_customer_id FROM customer WHERE id = ?', [customerId]);
    return String(rows[0].stripe_customer_id);
  }

  /** Pairs of requests whose [arrival, answer] intervals intersect. */
  function overlappingPairs(requests: RequestLogEntry[]): Array<[RequestLogEntry, RequestLogEntry]> {
    const sorted = [...requests].sort((a, b) => a.startedAt - b.startedAt);
    const pairs: Array<[RequestLogEntry, RequestLogEntry]> = [];
    for (let i = 0; i < sorted.length; i += 1) {
      for (let j = i + 1; j < sorted.length && sorted[j].startedAt < sorted[i].endedAt; j += 1) pairs.push([sorted[i], sorted[j]]);
    }
    return pairs;
  }

  it("charges 30 invoices of one customer one at a time, other customers' in parallel, once each", async () => {
    const busy = await insertStripeCustomer(w.services.db, w.services.stripe, 'pm_card_visa');
    const others: number[] = [];
    for (let i = 0; i < 30; i += 1) others.push(await insertStripeCustomer(w.services.db, w.services.stripe, 'pm_card_mastercard'));
    // Interleaved ids, so the busy customer's invoices share every page with the others'.
    const busyInvoices: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      busyInvoices.push(await insertInvoice(w.services.db, { customerId: busy, amountCents: 1000 + i }));
      await insertInvoice(w.services.db, { customerId: others[i], amountCents: 5000 });
    }
    const busyStripe = await stripeCustomerOf(busy);
    // Any write that overlaps another of the same customer would be refused: lanes must cause none.
    sim().configure({ latency: { distribution: 'fixed', meanMs: 60 }, lockTimeout: { probability: 1, windowMs: 0 } });

    const workflowId = `${w.taskQueue}-busy-${Date.now()}`;
    const summary = await run({ pageSize: 16, concurrency: 20 }, workflowId);
    assert.equal(summary.totals.paid, 60);
    assert.equal(summary.processed, 60);

    const stats = sim().stats();
    assert.equal(stats.lockTimeouts, 0);
    assert.equal(stats.overlapsByCustomer[busyStripe] ?? 0, 0);
    const requests = sim().requests();
    const busyWrites = requests.filter((r) => r.customer === busyStripe && r.method === 'POST');
    assert.equal(busyWrites.filter((r) => r.endpoint === CREATE && r.status === 200).length, 30);
    assert.deepEqual(overlappingPairs(busyWrites), [], 'no two requests for the busy customer overlap in time');
    const busyAll = requests.filter((r) => r.customer === busyStripe);
    assert.deepEqual(overlappingPairs(busyAll), [], 'nor any lookup for it');
    // The lanes serialise one customer, not the run: other customers' charges did overlap.
    const otherCreates = requests.filter((r) => r.endpoint === CREATE && r.customer !== busyStripe);
    assert.ok(overlappingPairs(otherCreates).length > 0, 'different customers are charged in parallel');

    // Exactly once: one charge per invoice in the simulator's ledger, for the busy customer too.
    const ledger = sim().ledger();
    assert.equal(ledger.length, 60);
    const busyLedger = ledger.filter((e) => e.customer === busyStripe).map((e) => Number(e.metadata.invoice_id)).sort((a, b) => a - b);
    assert.deepEqual(busyLedger, busyInvoices);

    // A charge that waited in its customer's lane is scheduled with task-queue priority 2, ahead
    // of the backlog of fresh charges; a lane's first charge and single invoices keep the default.
    const priorityOf = new Map<number, number>(); // invoice id → priority key (0: the default, 3)
    for (const e of (await w.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      const payload = a?.input?.payloads?.[0];
      if (a?.activityType?.name !== 'chargeInvoice' || !payload) continue;
      priorityOf.set(defaultPayloadConverter.fromPayload<{ invoiceId: number }>(payload).invoiceId, a.priority?.priorityKey ?? 0);
    }
    assert.equal(priorityOf.size, 60);
    assert.equal(priorityOf.get(busyInvoices[0]), 0, "the busy customer's first charge opens its lane at the default priority");
    const queuedBusy = busyInvoices.slice(1).filter((id) => priorityOf.get(id) === 2).length;
    assert.ok(queuedBusy >= 15, `most of the busy customer's charges waited in its lane at priority 2 (${queuedBusy} of 29)`);
    for (const [id, key] of priorityOf) {
      if (!busyInvoices.includes(id)) assert.equal(key, 0, `invoice ${id} of a customer with one invoice: default priority`);
      else assert.ok(key === 0 || key === 2, `invoice ${id}: priority ${key}`);
    }
  });

  it('a 429 with Retry-After is retried by Temporal after the advised wait, with the same key, charged once', async () => {
    const customerId = await insertStripeCustomer(w.services.db, w.services.stripe, 'pm_card_visa');
    const invoiceId = await insertInvoice(w.services.db, { customerId });
    const stripeCustomer = await stripeCustomerOf(customerId);
    // 0.2 creates/s: the token is taken below, so the run's charge is answered 429 with
    // Retry-After of up to 5 s. Retrying sooner (the policy's 1 s, 2 s, …) would meet more 429s.
    sim().configure({ rateLimits: { ...STRIPE_RATE_LIMITS, endpoints: { [CREATE]: 0.2 }, sendRetryAfter: true } });
    try {
      await w.services.stripe.paymentIntents.create({ amount: 700, currency: 'usd', customer: stripeCustomer, payment_method: 'pm_card_visa' });
      const summary = await run();
      assert.equal(summary.totals.paid, 1);
    } finally {
      sim().configure({ rateLimits: STRIPE_RATE_LIMITS, rateLimitPerSecond: 1000 });
    }
    const creates = sim().requests().filter((r) => r.endpoint === CREATE && r.idempotencyKey?.startsWith(`invoice-${invoiceId}-attempt-1-`));
    const waited = creates.length > 1 ? Math.round(creates[1].startedAt - creates[0].endedAt) : NaN;
    assert.deepEqual(creates.map((r) => [r.status, r.code]), [[429, 'rate_limit'], [200, null]],
      `refused once, then sent again when the advised wait was over (after ${waited} ms)`);
    assert.equal(new Set(creates.map((r) => r.idempotencyKey)).size, 1, 'one key for every send of the attempt');
    assert.ok(waited >= 950, `the retry came ${waited} ms after the 429 (Retry-After is at least 1 s)`);
    assert.equal(sim().ledger().filter((e) => e.metadata.invoice_id === String(invoiceId)).length, 1);
  });
});
