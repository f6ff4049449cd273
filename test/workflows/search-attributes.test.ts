/**
 * Temporal-native inspection, through the client's list API as the Web UI does it: a charging
 * run's outcome counts, phase and dry-run flag as search attributes; the 3-D Secure follow-up
 * of an invoice found by `InvoiceId`; a finished run's current details say finished, with totals.
 */
import { strict as assert } from 'node:assert';
import type { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { checkSearchAttributes } from '../../src/temporal/search-attribute-check';
import { chargePendingInvoices } from '../../src/workflows';
import { insertInvoice, insertStripeCustomer } from '../support/fixtures';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import type { TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

describe('search attributes and run details (queried through the client list API)', function () {
  this.timeout(120_000);
  let real: RealWorker;
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('search-attributes');
    ({ services: s, env, taskQueue } = real);
    await s.reset();
  });
  after(() => real?.stop());

  /** Visibility is eventually consistent: ask until the answer holds (or give the last one). */
  async function listIds(query: string, expected: string[]): Promise<string[]> {
    let ids: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      ids = [];
      for await (const w of env.client.workflow.list({ query })) ids.push(w.workflowId);
      ids.sort();
      if (JSON.stringify(ids) === JSON.stringify([...expected].sort())) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return ids;
  }

  it('finds the runs with failures, the phase and outcomes, and the follow-up of an invoice', async () => {
    const visa = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const declined = await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclined');
    const threeDs = await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired');
    await insertInvoice(s.db, { customerId: visa });
    await insertInvoice(s.db, { customerId: declined });
    const authInvoice = await insertInvoice(s.db, { customerId: threeDs });
    const failing = `${taskQueue}-with-failures`;
    const first = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: failing, args: [{}] });
    assert.deepEqual([first.totals.paid, first.totals.failed, first.totals.requires_auth], [1, 1, 1]);
    await insertInvoice(s.db, { customerId: visa });
    const clean = `${taskQueue}-all-paid`;
    await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: clean, args: [{}] });
    const dry = `${taskQueue}-dry`;
    await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: dry, args: [{ dryRun: true }] });

    const mine = `TaskQueue = "${taskQueue}" AND WorkflowType = "chargePendingInvoices"`;
    assert.deepEqual(await listIds(`${mine} AND ChargeRunFailed > 0`, [failing]), [failing]);
    assert.deepEqual(await listIds(`${mine} AND ChargeRunPaid = 1 AND ChargeRunRequiresAuth = 1`, [failing]), [failing]);
    assert.deepEqual(await listIds(`${mine} AND ChargeRunOutcomes = "requires_auth"`, [failing]), [failing]);
    assert.deepEqual(await listIds(`${mine} AND ChargeRunPhase = "finished" AND ChargeRunDryRun = false`, [failing, clean]), [clean, failing].sort());
    assert.deepEqual(await listIds(`${mine} AND ChargeRunDryRun = true`, [dry]), [dry]);

    const followUp = `invoice-${authInvoice}-auth-1`;
    assert.deepEqual(await listIds(`InvoiceId = "${authInvoice}"`, [followUp]), [followUp]);

    // A finished run's details say so, with its totals.
    const metadata = await env.client.workflow.getHandle(failing).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /^\*\*finished\*\*: 3 of 3 invoices .*paid 1 · requires_auth 1 · failed 1/);
    assert.match(metadata.currentDetails ?? '', /per phase: recover 0 · due 3 · retry 0/);
    await env.client.workflow.getHandle(followUp).terminate('test done');
  });

  it('the worker start-up check passes on a namespace that has them, and names the command for missing ones', async () => {
    assert.equal(await checkSearchAttributes(env.connection, 'default'), undefined);
    const partial = {
      operatorService: { listSearchAttributes: () => Promise.resolve({ customAttributes: { InvoiceId: 2, ChargeRunPaid: 3 }, systemAttributes: {} }) },
    } as unknown as Connection;
    await assert.rejects(checkSearchAttributes(partial, 'billing'), (err: Error) => {
      assert.match(err.message, /namespace billing lacks the search attributes ChargeRunFailed, ChargeRunRequiresAuth, ChargeRunOutcomes, ChargeRunPhase, ChargeRunDryRun/);
      assert.match(err.message, /temporal operator search-attribute create --namespace billing --name ChargeRunOutcomes --type KeywordList/);
      return true;
    });
  });
});
