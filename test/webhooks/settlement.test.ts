import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, type Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../src/activities';
import type { StripeEventResult } from '../../src/activities/apply-stripe-event';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { startWebhookServer, type WebhookServer } from '../../src/webhooks/server';
import { authenticationFollowUp, authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';
import { stripeEventWorkflowId, temporalStartProcessing } from '../../src/webhooks/start-processing';
import { attemptRows, insertStripeCustomer, insertInvoice, invoiceRow } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue } from '../support/temporal';
import {
  awaitProcessing, deliverSigned, eventRows, eventsFor, payloadOf, WEBHOOK_SECRET, type SimEvent,
} from './helpers';

describe('Stripe webhooks settle invoices (endpoint → Temporal → MariaDB, simulator deliveries)', function () {
  this.timeout(90_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let workerRun: Promise<void>;
  let server: WebhookServer;
  let activities: Activities;
  const taskQueue = uniqueTaskQueue('webhooks');

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    activities = createActivities({ db: s.db, stripe: s.stripe });
    worker = await createTestWorker(env, { taskQueue, activities });
    workerRun = worker.run();
    server = await startWebhookServer(
      {
        db: s.db, secret: WEBHOOK_SECRET, startProcessing: temporalStartProcessing(env.client, taskQueue),
        clock: () => new Date(), log: () => undefined,
      },
      { port: 0, host: '127.0.0.1' },
    );
  });
  after(async () => {
    s?.stack.stripe.configure({ webhook: null });
    await server?.close();
    worker?.shutdown();
    await workerRun;
    await env?.teardown();
    await s?.close();
  });
  beforeEach(async () => {
    await s.reset();
    s.stack.stripe.configure({ webhook: { url: server.url, secret: WEBHOOK_SECRET, retryDelayMs: 100 } });
  });

  let runs = 0;
  /** Each call is a charging run of its own (a dunning retry comes from a later run). */
  const charge = (invoiceId: number): Promise<InvoiceRunResult> =>
    new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(activities.chargeInvoice, { invoiceId, asOf: new Date().toISOString(), claimRunId: `test-run-${++runs}/1` });

  /** Lets every simulator delivery finish, then every processing workflow. */
  async function settled(): Promise<Map<string, StripeEventResult>> {
    await s.stack.stripe.flushWebhooks();
    return awaitProcessing(env, s.db);
  }

  /** A `requires_auth` invoice: an off-session charge of a card that needs 3-D Secure. */
  async function requiresAuthInvoice(): Promise<{ invoiceId: number; paymentIntentId: string }> {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired') });
    const result = await charge(invoiceId);
    assert.equal(result.status, 'requires_auth');
    assert.ok(result.payment_intent_id);
    return { invoiceId, paymentIntentId: result.payment_intent_id };
  }

  /** The customer comes back on-session and completes (or fails) the 3-D Secure challenge. */
  async function authenticate(paymentIntentId: string, outcome: 'succeed' | 'fail'): Promise<void> {
    const confirmed = await s.stripe.paymentIntents.confirm(paymentIntentId);
    assert.equal(confirmed.status, 'requires_action');
    s.stack.stripe.completeAuthentication(paymentIntentId, outcome);
  }

  it('the simulator delivering every event twice and out of order settles each invoice once', async () => {
    s.stack.stripe.configure({ webhook: { url: server.url, secret: WEBHOOK_SECRET, retryDelayMs: 100, jitterMs: 300, duplicateRate: 1 } });
    const invoices = [await requiresAuthInvoice(), await requiresAuthInvoice(), await requiresAuthInvoice()];
    for (const { paymentIntentId } of invoices) await authenticate(paymentIntentId, 'succeed');
    await settled();
    for (const { invoiceId, paymentIntentId } of invoices) {
      const row = await invoiceRow(s.db, invoiceId);
      assert.equal(row.status, 'paid');
      assert.equal(row.stripe_payment_intent_id, paymentIntentId);
      assert.equal(s.stack.stripe.ledger().filter((e) => e.paymentIntentId === paymentIntentId).length, 1);
    }
    // Each event stored once, whatever the number of deliveries.
    const stored = await eventRows(s.db);
    assert.equal(new Set(stored.map((r) => String(r.id))).size, stored.length);
    assert.equal(stored.filter((r) => r.type === 'payment_intent.succeeded').length, 3);
    const simulatorLog = readFileSync(path.join(s.stack.logDir, 'stripe-simulator.log'), 'utf8');
    const duplicates = [...new Set(simulatorLog.match(/evt_\w+ delivered again \(duplicate\)/g))];
    assert.ok(stored.every((r) => duplicates.includes(`${String(r.id)} delivered again (duplicate)`)), 'every event was delivered twice');
  });

  it('settles a requires_auth invoice as paid from a signed payment_intent.succeeded', async () => {
    const { invoiceId, paymentIntentId } = await requiresAuthInvoice();
    // The decline's own payment_failed event (authentication_required) changes nothing.
    const early = await settled();
    assert.ok([...early.values()].every((r) => r.action === 'no_change'), JSON.stringify([...early.values()]));
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'requires_auth');

    await authenticate(paymentIntentId, 'succeed');
    const results = await settled();
    const [succeeded] = await eventsFor(s, paymentIntentId, 'payment_intent.succeeded');
    const result = results.get(succeeded.id);
    assert.equal(result?.action, 'paid');
    assert.equal(result?.from, 'requires_auth');
    assert.deepEqual(result?.authFollowUp, { invoiceId, attemptNumber: 1 });
    // No follow-up runs for this attempt here: the signal fails as not found and that is fine.
    const history = await env.client.workflow.getHandle(stripeEventWorkflowId(succeeded.id)).fetchHistory();
    assert.ok(history.events?.some((e) => e.signalExternalWorkflowExecutionFailedEventAttributes), 'signal attempted');

    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'paid');
    assert.ok(row.paid_at instanceof Date);
    assert.equal(row.stripe_payment_intent_id, paymentIntentId);
    assert.equal(row.failure_code, null);
    assert.equal(row.auth_expires_at, null);
    assert.equal(row.claim_run_id, null);
    const [attempt] = await attemptRows(s.db, invoiceId);
    assert.equal(attempt.outcome, 'paid');
    assert.equal(attempt.stripe_payment_intent_id, paymentIntentId);
    const stored = (await eventRows(s.db)).find((r) => r.id === succeeded.id);
    assert.ok(stored?.processed_at instanceof Date);
    assert.equal((JSON.parse(String(stored?.result)) as { action: string }).action, 'paid');
    // Exactly one charge at Stripe for the invoice.
    assert.equal(s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId)).length, 1);
  });

  it('the same events delivered again, and out of order, change nothing more', async () => {
    const { invoiceId, paymentIntentId } = await requiresAuthInvoice();
    await authenticate(paymentIntentId, 'succeed');
    const first = await settled();
    // Whichever event was processed after the authentication settled it (each re-fetches the intent).
    assert.deepEqual([...first.values()].filter((r) => r.action === 'paid').length, 1);
    const paidRow = await invoiceRow(s.db, invoiceId);
    assert.equal(paidRow.status, 'paid');
    const [attemptBefore] = await attemptRows(s.db, invoiceId);
    const storedBefore = await eventRows(s.db);

    const events = await eventsFor(s, paymentIntentId);
    const succeeded = events.find((e) => e.type === 'payment_intent.succeeded') as SimEvent;
    const failed = events.find((e) => e.type === 'payment_intent.payment_failed') as SimEvent;
    // Redeliveries: the succeeded event twice more, the older payment_failed after it, then all in reverse.
    for (const event of [succeeded, succeeded, failed, ...[...events].reverse()]) {
      const delivery = await deliverSigned(server.url, payloadOf(event));
      assert.equal(delivery.status, 200, JSON.stringify(delivery.body));
    }
    assert.deepEqual(await awaitProcessing(env, s.db), first, 'no event was processed again');
    assert.deepEqual(await eventRows(s.db), storedBefore, 'each event stored once, results unchanged');
    const row = await invoiceRow(s.db, invoiceId);
    assert.deepEqual(row, paidRow, 'the invoice row was not written again');
    assert.deepEqual(await attemptRows(s.db, invoiceId), [attemptBefore]);
  });

  it('tells the running 3-D Secure follow-up that the invoice settled', async () => {
    const { invoiceId, paymentIntentId } = await requiresAuthInvoice();
    const followUp = await env.client.workflow.start(authenticationFollowUp, {
      taskQueue, workflowId: authenticationFollowUpId(invoiceId, 1),
      args: [{ invoiceId, paymentIntentId, remindAfter: [], expireAfter: '1 hour' }],
    });
    await authenticate(paymentIntentId, 'succeed');
    await settled();
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'paid');
    assert.deepEqual(await followUp.result(), { outcome: 'settled', reminders: 0 });
  });

  it('applies events that arrive in reverse order (succeeded before the decline) and ends paid', async () => {
    s.stack.stripe.configure({ webhook: null });
    const { invoiceId, paymentIntentId } = await requiresAuthInvoice();
    await authenticate(paymentIntentId, 'succeed');
    const events = (await eventsFor(s, paymentIntentId)).reverse();
    assert.equal(events[0].type, 'payment_intent.succeeded');
    // One at a time, each processed before the next arrives: the decline really comes after the success.
    for (const event of events) {
      assert.equal((await deliverSigned(server.url, payloadOf(event))).status, 200);
      await awaitProcessing(env, s.db);
    }
    const results = await awaitProcessing(env, s.db);
    assert.equal(results.get(events[0].id)?.action, 'paid');
    // The older payment_failed is re-checked against Stripe, which says succeeded: nothing more to do.
    const failed = events.find((e) => e.type === 'payment_intent.payment_failed') as SimEvent;
    assert.deepEqual([results.get(failed.id)?.action, results.get(failed.id)?.reason], ['no_change', 'already_paid']);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'paid');
  });

  it('a failed 3-D Secure authentication records the failure on the requires_auth invoice', async () => {
    const { invoiceId, paymentIntentId } = await requiresAuthInvoice();
    await authenticate(paymentIntentId, 'fail');
    await settled();
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'failed');
    assert.equal(row.failure_code, 'payment_intent_authentication_failure');
    assert.match(String(row.failure_message), /failed authentication/);
    assert.equal(row.auth_expires_at, null);
    assert.equal((await attemptRows(s.db, invoiceId))[0].outcome, 'failed');
  });

  it('payment_failed never overwrites paid, and a failed invoice stays failed', async () => {
    s.stack.stripe.configure({ webhook: null });
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclinedInsufficientFunds');
    const invoiceId = await insertInvoice(s.db, { customerId });
    const first = await charge(invoiceId);
    assert.equal(first.status, 'failed');
    const [declined] = await eventsFor(s, first.payment_intent_id ?? '', 'payment_intent.payment_failed');

    // Still failed: the decline's webhook leaves the failure and its retry plan as the charge wrote them.
    const failedRow = await invoiceRow(s.db, invoiceId);
    assert.equal((await deliverSigned(server.url, payloadOf(declined))).status, 200);
    const [onFailed] = (await awaitProcessing(env, s.db)).values();
    assert.deepEqual([onFailed.action, onFailed.reason], ['no_change', 'invoice_failed']);
    assert.deepEqual(await invoiceRow(s.db, invoiceId), failedRow);

    // Paid elsewhere (e.g. by bank transfer), then the decline is delivered again: stays paid.
    await s.db.query("UPDATE invoice SET status = 'paid', paid_at = NOW(3) WHERE id = ?", [invoiceId]);
    const paidRow = await invoiceRow(s.db, invoiceId);
    const again = await deliverSigned(server.url, payloadOf({ ...declined, id: `${declined.id}_redelivered` }));
    assert.equal(again.status, 200);
    const results = await awaitProcessing(env, s.db);
    assert.equal(results.get(`${declined.id}_redelivered`)?.action, 'no_change');
    assert.deepEqual(await invoiceRow(s.db, invoiceId), paidRow);
  });

  it("an old attempt's PaymentIntent failing does not touch a newer attempt", async () => {
    s.stack.stripe.configure({ webhook: null });
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclinedInsufficientFunds');
    const invoiceId = await insertInvoice(s.db, { customerId });
    const first = await charge(invoiceId);
    assert.equal(first.status, 'failed');
    // The customer saves a new card that needs 3-D Secure: the retry (attempt 2) becomes requires_auth.
    const { customerId: stripeCustomer, paymentMethodId } = s.stack.stripe.createCustomer({ paymentMethod: 'pm_card_authenticationRequired' });
    await s.db.query('UPDATE customer SET stripe_customer_id = ?, stripe_payment_method_id = ? WHERE id = ?', [stripeCustomer, paymentMethodId, customerId]);
    const second = await charge(invoiceId);
    assert.equal(second.status, 'requires_auth');
    const before = await invoiceRow(s.db, invoiceId);
    assert.equal(before.attempt_count, 2);

    const [oldDecline] = await eventsFor(s, first.payment_intent_id ?? '', 'payment_intent.payment_failed');
    assert.equal((await deliverSigned(server.url, payloadOf(oldDecline))).status, 200);
    const [result] = (await awaitProcessing(env, s.db)).values();
    assert.deepEqual([result.action, result.reason], ['no_change', 'stale_payment_intent']);
    assert.deepEqual(await invoiceRow(s.db, invoiceId), before);
    const attempts = await attemptRows(s.db, invoiceId);
    assert.deepEqual(attempts.map((a) => String(a.outcome)), ['failed', 'requires_auth']);
  });

  it('settles a processing (bank debit) invoice as paid when the intent succeeds', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_sim_processing') });
    const result = await charge(invoiceId);
    assert.equal(result.status, 'processing');
    await settled();
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'processing', 'created/processing events change nothing');

    s.stack.stripe.settleProcessing(result.payment_intent_id ?? '', 'succeed');
    const results = await settled();
    const [succeeded] = await eventsFor(s, result.payment_intent_id ?? '', 'payment_intent.succeeded');
    assert.equal(results.get(succeeded.id)?.action, 'paid');
    assert.equal(results.get(succeeded.id)?.from, 'processing');
    assert.equal(results.get(succeeded.id)?.authFollowUp, undefined);
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'paid');
    assert.equal(row.stripe_payment_intent_id, result.payment_intent_id);
    assert.equal(row.claim_run_id, null);
    assert.equal(row.lease_expires_at, null);
    assert.equal((await attemptRows(s.db, invoiceId))[0].outcome, 'paid');
  });

  it('a returned bank debit fails the processing invoice and schedules a dunning retry', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_sim_processing') });
    const result = await charge(invoiceId);
    s.stack.stripe.settleProcessing(result.payment_intent_id ?? '', 'fail');
    await settled();
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'failed');
    assert.equal(row.failure_code, 'insufficient_funds');
    assert.equal(row.claim_run_id, null);
    assert.ok(row.next_attempt_at instanceof Date, 'a soft decline is retried');
    assert.ok(row.first_failed_at instanceof Date);
    assert.equal((await attemptRows(s.db, invoiceId))[0].outcome, 'failed');
  });

  it('does not start processing for event types it does not act on', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_sim_processing') });
    await charge(invoiceId);
    await s.stack.stripe.flushWebhooks();
    const rows = await eventRows(s.db);
    assert.deepEqual(rows.map((r) => String(r.type)).sort(), ['payment_intent.created', 'payment_intent.processing']);
    for (const r of rows) {
      assert.ok(r.processed_at instanceof Date);
      assert.equal((JSON.parse(String(r.result)) as { action: string }).action, 'ignored');
      await assert.rejects(env.client.workflow.getHandle(stripeEventWorkflowId(String(r.id))).describe(), /not found/i);
    }
  });
});
