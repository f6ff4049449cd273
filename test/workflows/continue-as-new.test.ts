/**
 * The continue-as-new chain, end to end at small size: a Temporal dev server of its own whose
 * history threshold for suggesting continue-as-new is lowered (dynamic config
 * limit.historyCount.suggestContinueAsNew), so the run takes the real `continueAsNewSuggested`
 * path every page or two. Real activities on the shared MariaDB and Stripe simulator.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TestWorkflowEnvironment as Env } from '@temporalio/testing';
import type { RowDataPacket } from 'mysql2/promise';
import { startTemporalServer, type TemporalServer } from '../../dev/stack/temporal-server';
import { createActivities } from '../../src/activities';
import { chargePendingInvoices } from '../../src/workflows';
import { DEFAULTS, type ChargeRunInput } from '../../src/workflows/charge-pending-invoices';
import { insertCustomer, insertInvoice, insertStripeCustomer } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, uniqueTaskQueue, workflowBundle } from '../support/temporal';

/** Events after which the server suggests continue-as-new (the default is 4,096). */
const SUGGEST_AT = 40;

describe('chargePendingInvoices continues as new and carries its cursor and totals', function () {
  this.timeout(120_000);
  let s: TestServices;
  let server: TemporalServer;
  let env: TestWorkflowEnvironment;
  let dataDir: string;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'invoice-can-test-'));
    [s, server] = await Promise.all([
      openTestServices(),
      startTemporalServer({ dataDir, ui: false, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AT } }),
    ]);
    await workflowBundle(); // installs the quiet runtime before the environment creates one
    env = await Env.createFromExistingServer({ address: server.address, namespace: 'default' });
  });
  after(async function () {
    this.timeout(60_000);
    await env?.teardown();
    await server?.stop();
    await s?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('charges every invoice once over a chain of runs and returns the totals of all of them', async () => {
    await s.reset();
    const visa = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const declines = await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclined');
    const nothingOnFile = await insertCustomer(s.db, { stripeCustomerId: null, stripePaymentMethodId: null });
    // 30 due invoices, interleaved: 24 paid, 3 declined (failed), 3 skipped (they stay pending,
    // so a run that lost its cursor would find them again and count them twice).
    const expected = new Map<number, 'paid' | 'failed' | 'skipped'>();
    let paidCents = 0;
    for (let i = 0; i < 30; i += 1) {
      const kind = i % 10 === 4 ? 'failed' : i % 10 === 7 ? 'skipped' : 'paid';
      const amountCents = 1000 + i;
      const customerId = kind === 'paid' ? visa : kind === 'failed' ? declines : nothingOnFile;
      expected.set(await insertInvoice(s.db, { customerId, amountCents }), kind);
      if (kind === 'paid') paidCents += amountCents;
    }

    const taskQueue = uniqueTaskQueue('can');
    const workflowId = `${taskQueue}-run`;
    const worker = await createTestWorker(env, { taskQueue, activities: createActivities({ db: s.db, stripe: s.stripe }) });
    const input: ChargeRunInput = { pageSize: 5, concurrency: 3, maxResultsInSummary: 8 };
    const summary = await worker.runUntil(env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId, args: [input] }));

    // The summary covers the whole chain.
    assert.ok(summary.continuedAsNew >= 2, `continued as new ${summary.continuedAsNew} times`);
    assert.equal(summary.found, 30);
    assert.equal(summary.processed, 30);
    assert.deepEqual(summary.totals, { paid: 24, requires_auth: 0, failed: 3, skipped: 3, processing: 0, would_charge: 0 });
    assert.deepEqual(summary.amounts, { usd: paidCents });
    assert.equal(summary.results.length, 8);
    assert.equal(summary.resultsTruncated, true);

    // Every invoice charged at most once, as the data says.
    const ledger = s.stack.stripe.ledger();
    for (const [id, kind] of expected) {
      const [[row]] = await s.db.query<RowDataPacket[]>('SELECT status, stripe_payment_intent_id FROM invoice WHERE id = ?', [id]);
      assert.equal(row?.status, kind === 'skipped' ? 'pending' : kind, `invoice ${id}`);
      const charges = ledger.filter((e) => e.metadata.invoice_id === String(id));
      assert.equal(charges.length, kind === 'paid' ? 1 : 0, `charges of invoice ${id}`);
      if (kind === 'paid') assert.equal(charges[0]?.paymentIntentId, row?.stripe_payment_intent_id);
    }
    const [[attempts]] = await s.db.query<RowDataPacket[]>('SELECT COUNT(*) AS n, COUNT(DISTINCT invoice_id) AS invoices FROM payment_attempt');
    assert.equal(Number(attempts?.n), 30);
    assert.equal(Number(attempts?.invoices), 30);

    // The chain: one execution per continue-as-new, each small, each started with the cursor and
    // running totals of the one before (read from its WorkflowExecutionStarted input).
    const runs: Array<{ runId: string; startTime: Date; historyLength: number; status: string }> = [];
    for await (const e of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push({ runId: e.runId, startTime: e.startTime, historyLength: e.historyLength, status: e.status.name });
    }
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    assert.equal(runs.length, summary.continuedAsNew + 1);
    assert.deepEqual(runs.map((r) => r.status), [...runs.slice(1).map(() => 'CONTINUED_AS_NEW'), 'COMPLETED']);
    // Far under the workflow's own fallback threshold: the server's suggestion triggered each one.
    assert.ok(SUGGEST_AT * 4 < DEFAULTS.maxHistoryEvents);
    for (const r of runs) assert.ok(r.historyLength <= SUGGEST_AT * 4, `run ${r.runId} has ${r.historyLength} events`);

    const carried: Array<{ cursor: number; processed: number; paid: number; parked: number[]; nextPage: number[] }> = [];
    for (const r of runs.slice(1)) {
      const history = await env.client.workflow.getHandle(workflowId, r.runId).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      assert.ok(payload, `run ${r.runId} has an input`);
      const started = defaultPayloadConverter.fromPayload<ChargeRunInput>(payload);
      const carry = started.carry;
      assert.ok(carry, 'a continued run receives the carry');
      assert.equal(started.pageSize, 5, 'the caller’s input is carried too');
      carried.push({
        cursor: carry.cursor, processed: carry.tally.processed, paid: carry.tally.totals.paid,
        parked: (carry.parked ?? []).map((i) => i.id), nextPage: (carry.nextPage ?? []).map((i) => i.id),
      });
    }
    const ids = [...expected.keys()];
    for (let i = 1; i < carried.length; i += 1) {
      assert.ok(carried[i].cursor > carried[i - 1].cursor, `cursor moves forward: ${JSON.stringify(carried)}`);
      assert.ok(carried[i].processed > carried[i - 1].processed, `totals carried: ${JSON.stringify(carried)}`);
    }
    for (const c of carried) {
      // A run finishes its charges in flight before continuing and hands over what its lanes still
      // had queued (the 24 paid invoices share one customer's lane): the carried tally and the
      // parked invoices together cover exactly the ids up to the cursor.
      const done = ids.filter((id) => id <= c.cursor && !c.parked.includes(id));
      assert.ok(c.parked.every((id) => id <= c.cursor && expected.get(id) === 'paid'), `parked: ${JSON.stringify(c)}`);
      assert.equal(c.processed, done.length, `tally matches cursor: ${JSON.stringify(c)}`);
      assert.equal(c.paid, done.filter((id) => expected.get(id) === 'paid').length);
      // The page listed after the cursor is handed over, not listed again.
      assert.deepEqual(c.nextPage, ids.filter((id) => id > c.cursor).slice(0, c.nextPage.length), `next page: ${JSON.stringify(c)}`);
    }
    assert.ok(carried.some((c) => c.parked.length > 0), `some run handed over its lanes' queue: ${JSON.stringify(carried)}`);
    assert.ok(carried.some((c) => c.nextPage.length === 5), `some run handed over the next page: ${JSON.stringify(carried)}`);
  });
});
