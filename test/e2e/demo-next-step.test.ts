import { strict as assert } from 'node:assert';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedDemoData } from '../../dev/demo/demo-data';
import { endDemoFollowUps } from '../../dev/demo/end-follow-ups';
import { chargePendingInvoices } from '../../src/workflows';
import { authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';
import { invoiceRow } from '../support/fixtures';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import type { TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

describe('the demo leaves a next step, and re-seeding ends its follow-ups', function () {
  this.timeout(120_000);
  let real: RealWorker;
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('demo-next');
    ({ services: s, env, taskQueue } = real);
    await s.reset();
  });
  after(() => real?.stop());

  it('charges the invoice that comes due after the demo run, and ends the old 3-D Secure follow-up on re-seed', async () => {
    const seededAt = new Date();
    const seeded = await seedDemoData(s.db, s.stripe, seededAt, { comingDueInMinutes: 1 });
    assert.ok(seeded.comingDue);
    const run = (asOf: Date, id: string) =>
      env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-${id}`, args: [{ asOf: asOf.toISOString() }] });

    const demo = await run(seededAt, 'demo');
    assert.equal(demo.totals.paid, 4);
    assert.ok(!demo.results.some((r) => r.invoice_id === seeded.comingDue?.invoiceId), 'the demo run leaves it alone');
    assert.equal((await invoiceRow(s.db, seeded.comingDue.invoiceId)).status, 'pending');

    const next = await run(new Date(seeded.comingDue.dueAt.getTime() + 1_000), 'next');
    assert.deepEqual(next.results.filter((r) => r.status === 'paid').map((r) => r.invoice_id), [seeded.comingDue.invoiceId]);
    assert.equal((await invoiceRow(s.db, seeded.comingDue.invoiceId)).status, 'paid');

    const needsAuth = demo.results.find((r) => r.status === 'requires_auth');
    assert.ok(needsAuth?.attempt !== undefined);
    const followUpId = authenticationFollowUpId(needsAuth.invoice_id, needsAuth.attempt);
    assert.equal((await env.client.workflow.getHandle(followUpId).describe()).status.name, 'RUNNING');

    assert.deepEqual(await endDemoFollowUps(s.db, env.client), [followUpId]);
    assert.equal((await env.client.workflow.getHandle(followUpId).describe()).status.name, 'TERMINATED');
    assert.deepEqual(await endDemoFollowUps(s.db, env.client), [], 'a second re-seed finds nothing left to end');
    await seedDemoData(s.db, s.stripe);
  });
});
