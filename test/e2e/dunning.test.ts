import { strict as assert } from 'node:assert';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createStripeCustomer } from '../../dev/demo/stripe-customers';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { chargePendingInvoices } from '../../src/workflows';
import { attemptRows, insertCustomer, insertInvoice, invoiceRow } from '../support/fixtures';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import type { TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

const DAY = 86_400_000;

// Days-long schedules run in seconds: each run is given an `asOf` days ahead, which is what a
// scheduled run on that day would see.
describe('dunning end to end: scheduled retries of declined invoices', function () {
  this.timeout(120_000);
  let real: RealWorker;
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;
  let runs = 0;
  const runAt = (asOf: Date): Promise<ChargeRunSummary> => {
    runs += 1;
    return env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${taskQueue}-${runs}`, args: [{ asOf: asOf.toISOString() }] });
  };
  const charges = (invoiceId: number) => s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId)).length;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('dunning');
    ({ services: s, env, taskQueue } = real);
  });
  after(() => real?.stop());
  beforeEach(() => s.reset());

  async function customerOn(testPaymentMethod: string) {
    const ids = await createStripeCustomer(s.stripe, testPaymentMethod, 'dunning@example.test');
    const id = await insertCustomer(s.db, { stripeCustomerId: ids.customerId, stripePaymentMethodId: ids.paymentMethodId });
    return { id, ...ids };
  }

  it('a soft decline is retried on schedule and succeeds on the third attempt', async () => {
    const customer = await customerOn('pm_card_chargeDeclinedInsufficientFunds');
    const invoiceId = await insertInvoice(s.db, { customerId: customer.id, amountCents: 4200 });
    const t0 = new Date();

    const first = await runAt(t0);
    assert.equal(first.totals.failed, 1);
    assert.deepEqual(first.attempts, { first: 1, retries: 0 });
    let row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.decline_code, 'insufficient_funds');
    assert.ok(row.next_attempt_at instanceof Date);
    const firstFailedAt = (row.first_failed_at as Date).getTime();
    assert.equal((row.next_attempt_at).getTime() - firstFailedAt, 1 * DAY);
    assert.equal(first.results[0].next_attempt_at, (row.next_attempt_at).toISOString());

    // Twelve hours later nothing is due.
    const early = await runAt(new Date(t0.getTime() + DAY / 2));
    assert.equal(early.processed, 0);

    // Day 1: the retry declines again; the next one is on day 3.
    const day1 = await runAt(new Date(firstFailedAt + DAY + 60_000));
    assert.equal(day1.totals.failed, 1);
    assert.deepEqual(day1.attempts, { first: 0, retries: 1 });
    row = await invoiceRow(s.db, invoiceId);
    assert.equal((row.next_attempt_at as Date).getTime() - firstFailedAt, 3 * DAY);

    // The customer's account has funds again by day 3.
    s.stack.stripe.setPaymentMethodBehaviour(customer.paymentMethodId, 'pm_card_visa');
    const day3 = await runAt(new Date(firstFailedAt + 3 * DAY + 60_000));
    assert.equal(day3.totals.paid, 1);
    assert.equal(day3.attempts.retries, 1);
    assert.equal(day3.results[0].retry, true);
    row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'paid');
    assert.equal(row.next_attempt_at, null);
    const attempts = await attemptRows(s.db, invoiceId);
    assert.deepEqual(attempts.map((a) => [String(a.outcome), Number(a.is_retry)]), [['failed', 0], ['failed', 1], ['paid', 1]]);
    assert.equal(new Set(attempts.map((a) => String(a.idempotency_key))).size, 3, 'each retry has its own key');
    assert.equal(charges(invoiceId), 1);
  });

  it('a hard decline waits, and succeeds right after the payment method is updated', async () => {
    const customer = await customerOn('pm_card_chargeDeclinedLostCard');
    const invoiceId = await insertInvoice(s.db, { customerId: customer.id });
    const t0 = new Date();
    assert.equal((await runAt(t0)).totals.failed, 1);
    let row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.next_attempt_at, null);
    assert.equal(row.dunning_stopped_reason, 'hard_decline');

    // Never retried on the same card, however long we wait.
    assert.equal((await runAt(new Date(t0.getTime() + 20 * DAY))).processed, 0);

    const newCard = await s.stripe.paymentMethods.attach('pm_card_mastercard', { customer: customer.customerId });
    await s.db.query('UPDATE customer SET stripe_payment_method_id = ? WHERE id = ?', [newCard.id, customer.id]);
    const after = await runAt(new Date(t0.getTime() + 60_000));
    assert.equal(after.totals.paid, 1);
    row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'paid');
    assert.equal(charges(invoiceId), 1);
  });

  it('an invoice voided or paid elsewhere is not retried', async () => {
    const customer = await customerOn('pm_card_chargeDeclined');
    const voided = await insertInvoice(s.db, { customerId: customer.id });
    const paidElsewhere = await insertInvoice(s.db, { customerId: customer.id });
    const t0 = new Date();
    assert.equal((await runAt(t0)).totals.failed, 2);
    await s.db.query("UPDATE invoice SET status = 'void' WHERE id = ?", [voided]);
    await s.db.query("UPDATE invoice SET status = 'paid', paid_at = ? WHERE id = ?", [t0, paidElsewhere]);
    const later = await runAt(new Date(t0.getTime() + 15 * DAY));
    assert.equal(later.processed, 0);
    assert.equal((await attemptRows(s.db, voided)).length, 1);
  });

  it('the per-card limit postpones a retry instead of charging', async () => {
    const customer = await customerOn('pm_card_chargeDeclined');
    const invoiceId = await insertInvoice(s.db, { customerId: customer.id });
    const t0 = new Date();
    await runAt(t0);
    // Fourteen more attempts on the same card elsewhere in the last 30 days.
    for (let n = 0; n < 14; n += 1) {
      const other = await insertInvoice(s.db, { customerId: customer.id, status: 'failed' });
      await s.db.query(
        "INSERT INTO payment_attempt (invoice_id, attempt_number, idempotency_key, stripe_payment_method_id, outcome, run_id, started_at) VALUES (?, 1, ?, ?, 'failed', 'x', ?)",
        [other, `k-${n}-${other}`, customer.paymentMethodId, t0],
      );
    }
    const retry = await runAt(new Date(t0.getTime() + DAY + 60_000));
    assert.equal(retry.totals.skipped, 1);
    assert.match(retry.results[0].error ?? '', /card retry limit/);
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'failed');
    assert.ok((row.next_attempt_at as Date).getTime() > t0.getTime() + DAY);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });
});
