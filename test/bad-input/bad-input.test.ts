/**
 * The bad-input table (docs/bad-input.md): every row is seeded into one batch, one real run
 * (dev server, real activities, MariaDB, simulator) charges the batch, and each row must end
 * with its recorded outcome — failed or skipped with a reason — the run completing and no
 * wrong charge made. Then: a batch row already paid elsewhere, duplicate rows, a huge batch
 * with one bad row, and what the database can hold as a "non-integer" amount.
 */
import { strict as assert } from 'node:assert';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Worker } from '@temporalio/worker';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { createActivities, type InvoicePageQuery } from '../../src/activities';
import { assessEligibility } from '../../src/billing/charge-eligibility';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { checkAmount } from '../../src/billing/money';
import type { InvoiceRef } from '../../src/shared';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { chargePendingInvoices } from '../../src/workflows';
import { attemptRows, insertInvoice, invoiceRow } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { BAD_INPUT_ROWS, cardCustomer } from './rows';

/** Size of the "huge batch with one bad row" (bounded for CI; raise it locally). */
const HUGE_BATCH = Number(process.env.BAD_INPUT_BATCH ?? 1000);

describe('bad input: each row gets a recorded outcome, the run completes, no wrong charge', function () {
  this.timeout(180_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  const taskQueue = uniqueTaskQueue('bad-input');
  const ledgerFor = (invoiceId: number) => s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));
  const runBatch = (workflowId: string, input: Parameters<typeof chargePendingInvoices>[0] = {}) =>
    env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-${workflowId}`, args: [input] });

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    worker = await createTestWorker(env, { taskQueue, activities: createActivities({ db: s.db, stripe: s.stripe }) });
    workerRun = worker.run();
    await workflowBundle();
  });
  after(async () => {
    worker?.shutdown();
    await workerRun;
    await env?.teardown();
    await s?.close();
  });

  describe('the table, as one batch through one run', () => {
    const ids = new Map<string, number>();
    let summary: ChargeRunSummary;

    before(async function () {
      this.timeout(120_000);
      await s.reset();
      for (const row of BAD_INPUT_ROWS) ids.set(row.name, await row.seed({ db: s.db, sim: s.stack.stripe }));
      summary = await runBatch('table', { pageSize: 7, concurrency: 5 });
    });

    it('the run completes and reports every selected row once', () => {
      const selected = BAD_INPUT_ROWS.filter((r) => r.expect.reported !== 'absent').map((r) => ids.get(r.name));
      assert.deepEqual(summary.results.map((r) => r.invoice_id).sort((a, b) => a - b), selected.sort((a, b) => (a ?? 0) - (b ?? 0)));
    });

    for (const row of BAD_INPUT_ROWS) {
      it(row.name, async () => {
        const id = ids.get(row.name) as number;
        const expect = row.expect;
        const reported = summary.results.find((r) => r.invoice_id === id);
        if (expect.reported === 'absent') assert.equal(reported, undefined, 'not selected by the run');
        else assert.equal(reported?.status, expect.reported, `reported: ${JSON.stringify(reported)}`);

        const invoice = await invoiceRow(s.db, id);
        assert.equal(invoice.status, expect.status);
        if (expect.code) {
          assert.equal(invoice.failure_code, expect.code, 'the reason is recorded on the invoice');
          assert.ok(reported?.error?.includes(expect.code) || reported?.error === invoice.failure_message, `the summary gives the reason: ${reported?.error}`);
        }
        const attempts = await attemptRows(s.db, id);
        if (expect.reported === 'absent') assert.equal(attempts.length, 0);
        else assert.equal(attempts.length, 1, 'one attempt recorded');
        if (!expect.sent) assert.ok(attempts.every((a) => a.idempotency_key === null), 'decided without sending anything to Stripe');

        const charges = ledgerFor(id);
        assert.equal(charges.length, expect.charges);
        if (expect.charged) {
          assert.deepEqual({ amount: charges[0].amount, currency: charges[0].currency }, expect.charged);
          assert.equal(charges[0].paymentIntentId, invoice.stripe_payment_intent_id);
        }
      });
    }

    it('metacharacters in ids reached neither the database schema nor Stripe', async () => {
      const [tables] = await s.db.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'invoice'");
      assert.equal(Number(tables[0].n), 1);
      const paid = BAD_INPUT_ROWS.filter((r) => r.expect.charges === 1).length;
      assert.equal(s.stack.stripe.ledger().length, paid, 'only the valid rows were charged');
    });
  });

  describe('a batch row that is already paid, and duplicate rows', () => {
    beforeEach(() => s.reset());

    it('listed as pending but paid meanwhile (another run, a webhook, by hand): skipped, not charged again', async () => {
      const activities = createActivities({ db: s.db, stripe: s.stripe });
      const mock = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
      const id = await insertInvoice(s.db, { customerId: (await cardCustomer({ db: s.db, sim: s.stack.stripe })).id });
      const asOf = new Date().toISOString();
      const batch: InvoiceRef[] = await mock().run((q: InvoicePageQuery) => activities.listDueInvoices(q), { asOf, afterId: 0, limit: 10 });
      assert.deepEqual(batch.map((i) => i.id), [id]);
      await s.db.query("UPDATE invoice SET status = 'paid', paid_at = NOW(3), stripe_payment_intent_id = 'pi_paidelsewhere' WHERE id = ?", [id]);
      const result: InvoiceRunResult = await mock().run(activities.chargeInvoice, { invoiceId: id, asOf, claimRunId: 'run-stale/1' });
      assert.equal(result.status, 'skipped');
      assert.match(result.error ?? '', /paid, not pending/);
      assert.equal(ledgerFor(id).length, 0);
      assert.equal((await invoiceRow(s.db, id)).stripe_payment_intent_id, 'pi_paidelsewhere');
    });

    it('the same rows in two overlapping runs\' batches: each invoice charged once, the other run skips it', async () => {
      const customer = await cardCustomer({ db: s.db, sim: s.stack.stripe });
      const ids: number[] = [];
      for (let i = 0; i < 20; i += 1) ids.push(await insertInvoice(s.db, { customerId: customer.id, amountCents: 1_000 + i }));
      const [a, b] = await Promise.all([runBatch('overlap-a', { concurrency: 4 }), runBatch('overlap-b', { concurrency: 4 })]);
      assert.equal(a.totals.paid + b.totals.paid, ids.length);
      for (const id of ids) assert.equal(ledgerFor(id).length, 1, `charges for invoice ${id}`);
    });

    it('two rows for the same customer, amount, currency and due date are two invoices: each charged once, with its own key', async () => {
      const customer = await cardCustomer({ db: s.db, sim: s.stack.stripe });
      const first = await insertInvoice(s.db, { customerId: customer.id, amountCents: 2_500 });
      const second = await insertInvoice(s.db, { customerId: customer.id, amountCents: 2_500 });
      const summary = await runBatch('twins');
      assert.equal(summary.totals.paid, 2);
      const [one, two] = [ledgerFor(first), ledgerFor(second)];
      assert.equal(one.length, 1);
      assert.equal(two.length, 1);
      assert.notEqual(one[0].paymentIntentId, two[0].paymentIntentId);
      assert.notEqual(one[0].idempotencyKey, two[0].idempotencyKey);
    });
  });

  describe(`a huge batch (${HUGE_BATCH} invoices) where one row is bad`, () => {
    before(() => s.reset());

    it('the run completes: every good row paid once, the bad row failed with its reason, nothing else charged', async () => {
      const customer = await cardCustomer({ db: s.db, sim: s.stack.stripe });
      const rows = Array.from({ length: HUGE_BATCH }, (_, i) => [customer.id, 'pending', new Date('2026-01-15T00:00:00Z'), 1_000 + i, 'usd']);
      const badAt = Math.floor(HUGE_BATCH / 2);
      rows[badAt][4] = 'u$d';
      const [res] = await s.db.query<ResultSetHeader>('INSERT INTO invoice (customer_id, status, due_date, amount_cents, currency) VALUES ?', [rows]);
      const badId = res.insertId + badAt;
      const summary = await runBatch('huge', { pageSize: 100, concurrency: 25 });
      assert.equal(summary.processed, HUGE_BATCH);
      assert.equal(summary.totals.paid, HUGE_BATCH - 1);
      assert.equal(summary.totals.failed, 1);
      assert.equal((await invoiceRow(s.db, badId)).failure_code, 'invalid_currency');
      assert.equal(ledgerFor(badId).length, 0);
      const ledger = s.stack.stripe.ledger();
      assert.equal(ledger.length, HUGE_BATCH - 1);
      assert.equal(new Set(ledger.map((e) => e.metadata.invoice_id)).size, HUGE_BATCH - 1, 'no invoice charged twice');
    });
  });

  describe('non-integer amounts: what the column can hold, and the check itself', () => {
    it('the BIGINT column cannot hold a fraction: MariaDB rounds 1999.5 (number or string) on insert, before any run sees it', async () => {
      await s.reset();
      const customerId = (await cardCustomer({ db: s.db, sim: s.stack.stripe })).id;
      const asNumber = await insertInvoice(s.db, { customerId, amountCents: 1999.5 });
      const [res] = await s.db.query<ResultSetHeader>("INSERT INTO invoice (customer_id, due_date, amount_cents) VALUES (?, NOW(), '1999.5')", [customerId]);
      for (const id of [asNumber, res.insertId]) {
        const stored: unknown = (await invoiceRow(s.db, id)).amount_cents;
        assert.equal(stored, 2000, 'the driver hands the run an integer');
      }
    });

    for (const amount of [1999.5, '1999', '1999.50', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2]) {
      it(`refuses ${typeof amount === 'string' ? `the string "${amount}"` : String(amount)} as an amount (were the column ever DECIMAL or text)`, () => {
        assert.equal(checkAmount(amount, 'usd').kind, 'invalid');
        const eligibility = assessEligibility({
          id: 1, status: 'pending', dueDate: new Date(0), amountCents: amount, currency: 'usd', attemptCount: 0,
          customerId: 1, customer: { stripeCustomerId: 'cus_x', stripePaymentMethodId: 'pm_x' },
        });
        assert.deepEqual({ kind: eligibility.kind, code: eligibility.kind === 'invalid' ? eligibility.code : '' }, { kind: 'invalid', code: 'invalid_amount' });
      });
    }
  });
});
