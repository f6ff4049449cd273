/**
 * The dry run is the real run's plan: on the same data and the same `asOf`, the invoices a dry
 * run says it would charge — per phase: a claim of a terminated run, due invoices, due dunning
 * retries — are exactly the ones the real run that follows charges, and the dry run charges
 * nothing. (The bug: the dry run stopped before the retry phase, listing 2 where the run charged 4.)
 */
import { strict as assert } from 'node:assert';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { chargePendingInvoices } from '../../src/workflows';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { attemptRows, insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import { stripeClientFor, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

const DAY = 86_400_000;
const SENT: ReadonlySet<string> = new Set(['paid', 'failed', 'requires_auth', 'processing']);

describe('dry run = the real run\'s plan (every phase, same data, same asOf)', function () {
  this.timeout(180_000);
  let real: RealWorker;
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('dry-plan');
    ({ services: s, env, taskQueue } = real);
  });
  after(() => real?.stop());
  beforeEach(() => s.reset());

  const run = (id: string, input: Parameters<typeof chargePendingInvoices>[0]): Promise<ChargeRunSummary> =>
    env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-${id}`, args: [input] });
  const byPhase = (summary: ChargeRunSummary, phase: InvoiceRunResult['phase'], statuses: ReadonlySet<string>) =>
    summary.results.filter((r) => r.phase === phase && statuses.has(r.status)).map((r) => r.invoice_id).sort((a, b) => a - b);

  /** A claim left by a run that Temporal reports terminated: its charge's outcome never came back. */
  async function orphanedClaim(customerId: number): Promise<{ invoiceId: number; owner: string }> {
    const invoiceId = await insertInvoice(s.db, { customerId, amountCents: 3_100 });
    const dead = await env.client.workflow.start(chargePendingInvoices, { taskQueue: `${taskQueue}-nobody-polls`, workflowId: `${taskQueue}-dead`, args: [{}] });
    await dead.terminate('test: the run died');
    const owner = `${dead.workflowId}/${dead.firstExecutionRunId}`;
    // The charge is committed at Stripe, but the answer comes after the client gave up.
    s.stack.stripe.configure({ latency: { distribution: 'fixed', meanMs: 1_500 } });
    const slow = createActivities({ db: s.db, stripe: stripeClientFor(s.stack, undefined, 500) });
    await assert.rejects(new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(slow.chargeInvoice, { invoiceId, asOf: new Date().toISOString(), claimRunId: owner }));
    s.stack.stripe.configure({ latency: { distribution: 'fixed', meanMs: 0 } });
    await new Promise((r) => setTimeout(r, 1_500)); // the simulator finishes that charge
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'processing');
    return { invoiceId, owner };
  }

  it('lists the claim to resolve, the due invoices and the due dunning retries that the real run then charges, and charges nothing', async () => {
    const visa = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const poor = await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclinedInsufficientFunds');
    const t0 = new Date();
    // Two invoices declined softly today: dunning retries them a day later.
    const declined = [await insertInvoice(s.db, { customerId: poor, amountCents: 4_000 }), await insertInvoice(s.db, { customerId: poor, amountCents: 4_100 })];
    const first = await run('first', { asOf: t0.toISOString() });
    assert.equal(first.totals.failed, 2);
    // Then two new due invoices, one not yet due, and a claim of a terminated run.
    const due = [await insertInvoice(s.db, { customerId: visa, amountCents: 1_000 }), await insertInvoice(s.db, { customerId: visa, amountCents: 1_100 })];
    await insertInvoice(s.db, { customerId: visa, dueDate: new Date(t0.getTime() + 30 * DAY) });
    const orphan = await orphanedClaim(visa);

    const asOf = new Date(t0.getTime() + 2 * DAY).toISOString();
    const chargesBefore = s.stack.stripe.ledger().length;
    const attemptsBefore = (await attemptRows(s.db, orphan.invoiceId)).length;
    const dry = await run('dry', { dryRun: true, asOf });
    assert.equal(s.stack.stripe.ledger().length, chargesBefore, 'the dry run charged nothing');
    assert.equal((await invoiceRow(s.db, orphan.invoiceId)).status, 'processing', 'the dry run resolved nothing');
    assert.equal((await attemptRows(s.db, orphan.invoiceId)).length, attemptsBefore);

    const WOULD = new Set(['would_charge']);
    assert.deepEqual(byPhase(dry, 'recover', WOULD), [orphan.invoiceId]);
    assert.deepEqual(byPhase(dry, 'due', WOULD), due);
    assert.deepEqual(byPhase(dry, 'retry', WOULD), declined);
    assert.deepEqual(
      { recover: dry.phases?.recover.found, due: dry.phases?.due.found, retry: dry.phases?.retry.found, would: dry.totals.would_charge },
      { recover: 1, due: 2, retry: 2, would: 5 },
    );
    const reason = (id: number) => dry.results.find((r) => r.invoice_id === id)?.error ?? '';
    assert.match(reason(orphan.invoiceId), /original idempotency key.*owner run terminated.*held by/);
    assert.match(reason(declined[0]), /would charge 40\.00 USD .*dunning retry due since .*attempt 2/);
    assert.match(reason(due[0]), /would charge 10\.00 USD .*first attempt/);

    const charged = await run('real', { asOf });
    assert.deepEqual(byPhase(charged, 'recover', SENT), byPhase(dry, 'recover', WOULD));
    assert.deepEqual(byPhase(charged, 'due', SENT), byPhase(dry, 'due', WOULD));
    assert.deepEqual(byPhase(charged, 'retry', SENT), byPhase(dry, 'retry', WOULD));
    assert.deepEqual(charged.attempts, { first: 3, retries: 2 }); // the orphan's resumed attempt 1 counts as a first attempt
    assert.equal((await invoiceRow(s.db, orphan.invoiceId)).status, 'paid');
    // The orphan was resolved with its original attempt: one charge at Stripe, one attempt row.
    assert.equal(s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(orphan.invoiceId)).length, 1);
    assert.equal((await attemptRows(s.db, orphan.invoiceId)).length, 1);
  });
});
