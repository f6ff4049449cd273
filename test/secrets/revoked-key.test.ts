/**
 * A Stripe key that is rejected while a run is under way (revoked, rotated, mistyped in a
 * redeploy): the run stops, no invoice is marked failed, the error names the problem without
 * the key, and an attempt whose outcome was unknown keeps its claim so the next run resolves
 * it with the same idempotency key instead of charging again.
 */
import { strict as assert } from 'node:assert';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import Stripe from 'stripe';
import { createActivities, type ChargeInvoiceInput } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { SYSTEMIC_STRIPE_ERROR, TRANSIENT_STRIPE_ERROR } from '../../src/shared';
import { chargePendingInvoices } from '../../src/workflows';
import { attemptRows, insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { openTestServices, stripeClientFor, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { findSecretIn, historyText } from './secret-scan';

const REVOKED_KEY = 'sk_test_revokedRunTimeKey7Q2';

describe('a Stripe key rejected at run time', function () {
  this.timeout(120_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);
  const asOf = new Date().toISOString();
  const input = (invoiceId: number, claimRunId = 'run-A/1'): ChargeInvoiceInput => ({ invoiceId, asOf, claimRunId });
  const goodActivities = () => createActivities({ db: s.db, stripe: s.stripe, clock });
  const revokedActivities = () => createActivities({ db: s.db, stripe: stripeClientFor(s.stack, REVOKED_KEY), clock });
  const charge = (i: ChargeInvoiceInput, acts: ReturnType<typeof createActivities>): Promise<InvoiceRunResult> =>
    new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(acts.chargeInvoice, i);
  const ledgerFor = (invoiceId: number) => s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));

  async function failureOf(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
    const err = await promise.then(
      (value) => assert.fail(`expected ${type}, got ${JSON.stringify(value)}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type);
    return err;
  }

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
  beforeEach(async () => {
    clockOffsetMs = 0;
    await s.reset();
  });

  it('stops the whole run (real activities, dev server): no invoice failed, claims released, no charge, key not printed anywhere', async () => {
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const ids: number[] = [];
    for (let i = 0; i < 6; i += 1) ids.push(await insertInvoice(s.db, { customerId, amountCents: 1000 + i }));

    const taskQueue = uniqueTaskQueue('revoked');
    const worker = await createTestWorker(env, { taskQueue, activities: revokedActivities() });
    const handle = await env.client.workflow.start(chargePendingInvoices, { taskQueue, workflowId: taskQueue, args: [{ concurrency: 2 }] });
    const failure = await worker.runUntil(handle.result().then(
      () => assert.fail('the run should stop'),
      (err: unknown) => err,
    ));
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ApplicationFailure);
    assert.equal(failure.cause.type, SYSTEMIC_STRIPE_ERROR);
    assert.match(failure.cause.message, /rejected the API key/);
    assert.match(failure.cause.message, /no invoice was marked failed/);

    for (const id of ids) {
      const row = await invoiceRow(s.db, id);
      assert.equal(row.status, 'pending', `invoice ${id}`);
      assert.equal(row.claim_run_id, null, `invoice ${id} claim`);
      for (const attempt of await attemptRows(s.db, id)) assert.equal(attempt.outcome, 'released', `invoice ${id} attempt`);
    }
    assert.equal(s.stack.stripe.ledger().length, 0);

    const history = historyText(await handle.fetchHistory());
    assert.equal(findSecretIn(history, REVOKED_KEY), undefined, 'the key appears in the run history');
    assert.equal(findSecretIn(`${failure.message}\n${String(failure.cause.stack)}`, REVOKED_KEY), undefined);

    // With the key fixed, the next run charges every invoice exactly once.
    const goodQueue = uniqueTaskQueue('fixed-key');
    const goodWorker = await createTestWorker(env, { taskQueue: goodQueue, activities: goodActivities() });
    const summary = await goodWorker.runUntil(env.client.workflow.execute(chargePendingInvoices, { taskQueue: goodQueue, workflowId: goodQueue, args: [{}] }));
    assert.equal(summary.totals.paid, ids.length);
    for (const id of ids) assert.equal(ledgerFor(id).length, 1, `charges for invoice ${id}`);
  });

  it('keeps the claim when the key is rejected on a re-send whose first send may have charged', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    // The charge is committed at Stripe, but neither answer reaches us: outcome unknown.
    s.stack.stripe.configure({ faults: { next: ['dropAfterCommit', 'resetBefore'] } });
    await failureOf(charge(input(invoiceId), goodActivities()), TRANSIENT_STRIPE_ERROR);
    assert.equal(ledgerFor(invoiceId).length, 1);

    const stop = await failureOf(charge(input(invoiceId), revokedActivities()), SYSTEMIC_STRIPE_ERROR);
    assert.ok(!stop.message.includes(REVOKED_KEY));
    const held = await invoiceRow(s.db, invoiceId);
    assert.equal(held.status, 'processing', 'a claim with an unknown outcome must not be released');
    assert.deepEqual((await attemptRows(s.db, invoiceId)).map((a) => String(a.outcome)), ['in_flight']);

    // Once the key is fixed, the attempt is resumed with its original key: replayed, not re-charged.
    const result = await charge(input(invoiceId), goodActivities());
    assert.equal(result.status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });

  it('keeps the claim of a processing payment when its settlement check is refused', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_sim_processing') });
    const first = await charge(input(invoiceId), goodActivities());
    assert.equal(first.status, 'processing');
    clockOffsetMs = 2 * 60 * 60_000; // the settlement re-check is due
    await failureOf(charge(input(invoiceId, 'run-B/1'), revokedActivities()), SYSTEMIC_STRIPE_ERROR);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'processing');
    assert.deepEqual((await attemptRows(s.db, invoiceId)).map((a) => String(a.outcome)), ['processing']);

    s.stack.stripe.settleProcessing(first.payment_intent_id as string, 'succeed');
    clockOffsetMs = 4 * 60 * 60_000;
    assert.equal((await charge(input(invoiceId, 'run-C/1'), goodActivities())).status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });

  it('keeps the claim when the lookup after a server error is refused (the 5xx may have charged)', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    s.stack.stripe.configure({ faults: { next: ['error500'] } });
    // The key is revoked between the charge request and the lookup that should explain its 500.
    const revokedBeforeLookup = stripeClientFor(s.stack);
    const refused = (): never => {
      throw new Stripe.errors.StripeAuthenticationError({ message: 'Invalid API Key provided: sk_test_****Q2', type: 'invalid_request_error' });
    };
    revokedBeforeLookup.paymentIntents.list = refused;
    const acts = createActivities({ db: s.db, stripe: revokedBeforeLookup, clock });
    await failureOf(charge(input(invoiceId), acts), SYSTEMIC_STRIPE_ERROR);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'processing');
    assert.deepEqual((await attemptRows(s.db, invoiceId)).map((a) => String(a.outcome)), ['in_flight']);
  });
});
