import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveTemporalCli } from '../../dev/stack/tools';
import { seedDemoData, type SeededDemo } from '../../dev/demo/demo-data';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { chargePendingInvoices } from '../../src/workflows';
import { authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';
import { invoiceRow } from '../support/fixtures';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import type { TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

const execFileAsync = promisify(execFile);
export const HISTORY_FIXTURE = path.join(__dirname, '..', 'fixtures', 'charge-run-history.json');

describe('end to end: the demo data set through Temporal, MariaDB and the simulator', function () {
  this.timeout(120_000);
  let real: RealWorker;
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('e2e');
    ({ services: s, env, taskQueue } = real);
  });
  after(() => real?.stop());

  let seeded: SeededDemo;
  beforeEach(async () => {
    await s.reset();
    seeded = await seedDemoData(s.db, s.stripe);
  });

  function assertMatchesDemo(summary: ChargeRunSummary): void {
    const reported = new Map(summary.results.map((r) => [r.invoice_id, r.status]));
    assert.deepEqual(reported, seeded.expected);
    assert.deepEqual(summary.totals, { paid: 4, requires_auth: 1, failed: 2, skipped: 1, processing: 0, would_charge: 0 });
    assert.deepEqual(summary.amounts, { usd: 5000, eur: 1999, gbp: 12000, jpy: 5000 });
  }

  it('reports paid, requires_auth, failed and skipped as the data set says, and charges each paid invoice exactly once', async () => {
    const workflowId = `${taskQueue}-demo`;
    const summary = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId, args: [{}] });
    assertMatchesDemo(summary);
    for (const [invoiceId, status] of seeded.expected) {
      const row = await invoiceRow(s.db, invoiceId);
      assert.equal(row.status, status === 'skipped' ? 'pending' : status, `invoice ${invoiceId}`);
      const charges = s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));
      assert.equal(charges.length, status === 'paid' ? 1 : 0, `charges for invoice ${invoiceId}`);
      if (status === 'paid') assert.equal(charges[0].paymentIntentId, row.stripe_payment_intent_id);
    }
    for (const invoiceId of seeded.untouched) {
      assert.equal(s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId)).length, 0);
    }
    const entry = summary.results.find((r) => r.status === 'failed');
    assert.ok(entry?.error, 'failed entries carry the error');

    // The 3-D Secure invoice has its follow-up running, outliving the run.
    const needsAuth = summary.results.find((r) => r.status === 'requires_auth');
    assert.ok(needsAuth?.attempt !== undefined);
    const followUp = await env.client.workflow.getHandle(authenticationFollowUpId(needsAuth.invoice_id, needsAuth.attempt)).describe();
    assert.equal(followUp.status.name, 'RUNNING');

    // Keep the recorded history current for the replay test when asked to.
    if (process.env.RECORD_HISTORY_FIXTURE) {
      const { stdout } = await execFileAsync(resolveTemporalCli(), ['workflow', 'show', '--address', s.stack.temporal.address, '--workflow-id', workflowId, '--output', 'json']);
      writeFileSync(HISTORY_FIXTURE, stdout);
    }

    // A second run charges nothing new: paid and failed invoices are no longer pending.
    const ledgerBefore = s.stack.stripe.ledger().length;
    const again = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${workflowId}-again`, args: [{}] });
    assert.equal(s.stack.stripe.ledger().length, ledgerBefore);
    assert.deepEqual(again.results.map((r) => r.status), ['skipped']);
  });

  it('dry run lists what would be charged and writes nothing', async () => {
    const summary = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-dry`, args: [{ dryRun: true }] });
    assert.equal(summary.totals.would_charge, 7);
    assert.equal(summary.totals.skipped, 1);
    assert.equal(s.stack.stripe.ledger().length, 0);
    const [[{ n }]] = await s.db.query<import('mysql2/promise').RowDataPacket[]>('SELECT COUNT(*) AS n FROM payment_attempt') as unknown as [[{ n: number }]];
    assert.equal(Number(n), 0);
  });

  it('starts from the temporal CLI with no input and returns the summary', async () => {
    const cli = resolveTemporalCli();
    const workflowId = `${taskQueue}-cli`;
    const address = s.stack.temporal.address;
    await execFileAsync(cli, ['workflow', 'start', '--address', address, '--type', 'chargePendingInvoices', '--task-queue', taskQueue, '--workflow-id', workflowId]);
    const { stdout } = await execFileAsync(cli, ['workflow', 'result', '--address', address, '--workflow-id', workflowId, '--output', 'json']);
    const parsed = JSON.parse(stdout) as { result?: ChargeRunSummary; status?: string };
    const summary = parsed.result ?? (parsed as unknown as ChargeRunSummary);
    assertMatchesDemo(summary);
  });
});
