/**
 * Stuck-attempt recovery at workflow level (real dev server, MariaDB, simulator; in-process
 * worker): a run terminated mid-flight leaves claims whose charges may have happened. The next
 * run asks Temporal about each claim's owner: a closed owner's claims are resumed at once with
 * their original keys (never a new charge); a running owner's are left alone; when Temporal
 * cannot tell, the lease (short here) decides, as before.
 */
import { strict as assert } from 'node:assert';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Worker } from '@temporalio/worker';
import type { RowDataPacket } from 'mysql2/promise';
import { createActivities } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { temporalClaimOwnerLookup } from '../../src/temporal/claim-owners';
import { chargePendingInvoices } from '../../src/workflows';
import { attemptRows, insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { openTestServices, stripeClientFor, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue, workflowBundle } from '../support/temporal';

const LEASE_MS = 6_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('stuck-attempt recovery (workflow level)', function () {
  this.timeout(180_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    await workflowBundle();
  });
  after(async () => {
    await env?.teardown();
    await s?.close();
  });
  beforeEach(() => s.reset());

  const ledgerFor = (invoiceId: number) => s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));

  async function claimedInvoices(): Promise<number[]> {
    const [rows] = await s.db.query<RowDataPacket[]>("SELECT id FROM invoice WHERE status = 'processing' ORDER BY id");
    return rows.map((r) => Number(r.id));
  }

  it('a run terminated with charges in flight: a recovery sweep started at once settles every orphaned invoice once, with its original key, within two minutes', async () => {
    // One customer each: a run charges one customer's invoices one at a time (customer lanes).
    const ids: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      ids.push(await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa'), amountCents: 2_000 + i }));
    }
    // Charges take 2.5 s at Stripe and the client gives up after 1 s: in flight, outcomes unknown.
    s.stack.stripe.configure({ latency: { distribution: 'fixed', meanMs: 2_500 } });
    const taskQueue = uniqueTaskQueue('recovery');
    // The default 30-minute lease: only Temporal's answer (the owner is closed) lets the next run in.
    const activities = createActivities({ db: s.db, stripe: stripeClientFor(s.stack, undefined, 1_000), claimOwner: temporalClaimOwnerLookup(env.client) });
    const worker: Worker = await createTestWorker(env, { taskQueue, activities });

    await worker.runUntil(async () => {
      const first = await env.client.workflow.start(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-first`, args: [{ concurrency: 4 }] });
      let held: number[] = [];
      for (let i = 0; i < 100 && held.length < 4; i += 1) {
        await sleep(100);
        held = await claimedInvoices();
      }
      assert.equal(held.length, 4, 'the first run holds four claims with charges in flight');
      await first.terminate('test: the run dies mid-flight');
      const terminatedAt = Date.now();
      const keysBefore = new Map<number, string>();
      for (const id of held) keysBefore.set(id, String((await attemptRows(s.db, id))[0].idempotency_key));
      s.stack.stripe.configure({ latency: { distribution: 'fixed', meanMs: 0 } });

      // A recovery sweep (the recover phase alone), at once: it takes over the dead run's claims.
      const second = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-second`, args: [{ recoverOnly: true }] });
      const settledWithin = Date.now() - terminatedAt;
      assert.ok(settledWithin < 120_000, `settled after ${settledWithin} ms`);
      assert.equal(second.phases?.recover.found, held.length);
      for (const id of held) {
        const attempts = await attemptRows(s.db, id);
        assert.equal(attempts.length, 1, `invoice ${id}: resumed, not re-attempted`);
        assert.equal(String(attempts[0].idempotency_key), keysBefore.get(id), `invoice ${id}: its original key`);
        const entry = second.results.find((r) => r.invoice_id === id);
        assert.deepEqual({ phase: entry?.phase, status: entry?.status }, { phase: 'recover', status: 'paid' }, `the next run reports invoice ${id}`);
      }
      assert.equal(second.heldByOtherRuns?.count, 0, 'no claim is left behind');
      assert.deepEqual([second.phases?.due.found, second.phases?.retry.found], [0, 0], 'a sweep charges nothing new');
      for (const id of ids.filter((i) => !held.includes(i))) assert.equal((await invoiceRow(s.db, id)).status, 'pending');
      // The next charging run charges the rest.
      const third = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-third`, args: [{}] });
      assert.equal(third.totals.paid, ids.length - held.length);
    });
    for (const id of ids) {
      assert.equal((await invoiceRow(s.db, id)).status, 'paid', `invoice ${id}`);
      const charges = ledgerFor(id);
      assert.equal(charges.length, 1, `charges for invoice ${id}`);
      assert.equal(charges[0].paymentIntentId, (await invoiceRow(s.db, id)).stripe_payment_intent_id);
    }
  });

  it('a claim whose owner is still running is left alone, and the other run reports it (count, age, owner)', async () => {
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const id = await insertInvoice(s.db, { customerId, amountCents: 2_500 });
    s.stack.stripe.configure({ latency: { distribution: 'fixed', meanMs: 6_000 } });
    const taskQueue = uniqueTaskQueue('recovery-live');
    const activities = createActivities({ db: s.db, stripe: stripeClientFor(s.stack, undefined, 15_000), claimOwner: temporalClaimOwnerLookup(env.client) });
    const worker: Worker = await createTestWorker(env, { taskQueue, activities });
    await worker.runUntil(async () => {
      const first = await env.client.workflow.start(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-first`, args: [{}] });
      for (let i = 0; i < 100 && (await claimedInvoices()).length === 0; i += 1) await sleep(100);
      assert.deepEqual(await claimedInvoices(), [id]);
      const second = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-second`, args: [{}] });
      assert.equal(second.processed, 0, 'the second run touched nothing');
      assert.equal(second.heldByOtherRuns?.count, 1);
      assert.deepEqual(
        second.heldByOtherRuns?.holders.map((h) => ({ owner: h.claimRunId, state: h.owner, count: h.count })),
        [{ owner: `${first.workflowId}/${first.firstExecutionRunId}`, state: 'running', count: 1 }],
      );
      assert.ok((second.heldByOtherRuns?.oldestAgeSeconds ?? -1) >= 0);
      const done = await first.result();
      assert.equal(done.totals.paid, 1);
    });
    assert.equal(ledgerFor(id).length, 1);
    assert.equal((await attemptRows(s.db, id)).length, 1);
  });

  it('when Temporal cannot tell, the lease decides: claims are left alone while leased, then resumed with their original keys', async () => {
    // One customer each: a run charges one customer's invoices one at a time (customer lanes).
    const ids: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      ids.push(await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa'), amountCents: 2_000 + i }));
    }
    // Every charge is committed at Stripe but answers after the client gave up: outcomes unknown.
    s.stack.stripe.configure({ faults: { slowResponseRate: 1, slowResponseMs: 2_500 } });
    const taskQueue = uniqueTaskQueue('recovery-lease');
    const activities = createActivities({
      db: s.db, stripe: stripeClientFor(s.stack, undefined, 1_000), claimLeaseMs: LEASE_MS,
      claimOwner: () => Promise.resolve({ state: 'unknown', reason: 'test: Temporal unreachable' }),
    });
    const worker: Worker = await createTestWorker(env, { taskQueue, activities });

    await worker.runUntil(async () => {
      const first = await env.client.workflow.start(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-first`, args: [{ concurrency: 4 }] });
      let held: number[] = [];
      for (let i = 0; i < 100 && held.length < 4; i += 1) {
        await sleep(100);
        held = await claimedInvoices();
      }
      assert.ok(held.length >= 1, 'the first run holds claims');
      await first.terminate('test: the run dies mid-flight');
      s.stack.stripe.configure({ faults: { slowResponseRate: 0 } });
      await sleep(3_000); // the terminated run's last activity tries end (they do not retry)
      const stillHeld = await claimedInvoices();
      const keysBefore = new Map<number, string>();
      for (const id of stillHeld) keysBefore.set(id, String((await attemptRows(s.db, id))[0].idempotency_key));

      // The next run, while those leases hold: it must not touch them.
      const second = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-second`, args: [{}] });
      for (const id of stillHeld) {
        assert.ok(!second.results.some((r) => r.invoice_id === id && r.status === 'paid'), `invoice ${id} taken over before its lease expired`);
        assert.equal((await attemptRows(s.db, id)).length, 1, `invoice ${id}: no new attempt while leased`);
      }
      assert.equal(second.heldByOtherRuns?.count, stillHeld.length, 'the run reports the claims it left alone');

      // After the lease: the next run resumes each attempt with its own key.
      await sleep(LEASE_MS + 500);
      const third = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-third`, args: [{}] });
      for (const id of stillHeld) {
        const attempts = await attemptRows(s.db, id);
        assert.equal(attempts.length, 1, `invoice ${id}: resumed, not re-attempted`);
        assert.equal(String(attempts[0].idempotency_key), keysBefore.get(id));
        assert.ok(third.results.some((r) => r.invoice_id === id && r.status === 'paid'), `the recovery run reports invoice ${id}`);
      }
    });
    for (const id of ids) {
      assert.equal((await invoiceRow(s.db, id)).status, 'paid', `invoice ${id}`);
      const charges = ledgerFor(id);
      assert.equal(charges.length, 1, `charges for invoice ${id}`);
      assert.equal(charges[0].paymentIntentId, (await invoiceRow(s.db, id)).stripe_payment_intent_id);
    }
  });

  it('a retry whose earlier try recorded the outcome but died before reporting it reports that outcome, not "skipped"', async () => {
    const activities = createActivities({ db: s.db, stripe: s.stripe });
    const charge = (invoiceId: number): Promise<InvoiceRunResult> => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(activities.chargeInvoice, { invoiceId, asOf: new Date().toISOString(), claimRunId: 'run-A/1' });
    const paidId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa'), amountCents: 4_200 });
    const declinedId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclined') });
    const first = await charge(paidId);
    const firstDecline = await charge(declinedId);
    // The worker died after recording, before Temporal heard back: Temporal runs the activity again.
    const again = await charge(paidId);
    assert.deepEqual(
      { status: again.status, pi: again.payment_intent_id, amount: again.amount_cents, currency: again.currency },
      { status: 'paid', pi: first.payment_intent_id, amount: 4_200, currency: 'usd' },
    );
    const declinedAgain = await charge(declinedId);
    assert.equal(declinedAgain.status, 'failed');
    assert.equal(declinedAgain.payment_intent_id, firstDecline.payment_intent_id);
    assert.equal(ledgerFor(paidId).length, 1);
  });
});
