import { strict as assert } from 'node:assert';
import type { RowDataPacket } from 'mysql2/promise';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createStripeCustomer } from '../../dev/demo/stripe-customers';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { formatInvoiceReport } from '../../src/cli/invoices-command';
import { listInvoicesForReport } from '../../src/db/reports';
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
  // The worker's clock, moved ahead with the runs' asOf where budgets (rolling windows) matter.
  let clockOffsetMs = 0;
  const workerNow = () => new Date(Date.now() + clockOffsetMs);
  const sentCharges = () => s.stack.stripe.stats().requestsByEndpoint['POST /v1/payment_intents'] ?? 0;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('dunning', { clock: workerNow });
    ({ services: s, env, taskQueue } = real);
  });
  after(() => real?.stop());
  beforeEach(async () => {
    clockOffsetMs = 0;
    await s.reset();
  });

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
    assert.match(retry.results[0].error ?? '', /retry postponed .*visa-30d: 15 of 15 attempts on this card in 30 d/);
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'failed');
    assert.ok((row.next_attempt_at as Date).getTime() > t0.getTime() + DAY);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });

  // Advice codes first: a soft decline code with "do not try again", and the networks'
  // never-retry codes (Visa category 1, Mastercard MAC 03/21), stop retries on the card for good.
  const stops: Array<[string, string, Record<string, string | null>]> = [
    ['pm_sim_visa_do_not_try_again', 'advice:do_not_try_again', { advice_code: 'do_not_try_again', decline_code: 'generic_decline', network_decline_code: '05' }],
    ['pm_sim_mastercard_mac03', 'mastercard:never-retry-advice-code-03', { network_advice_code: '03', card_network: 'mastercard' }],
    ['pm_sim_mastercard_mac21', 'mastercard:never-retry-advice-code-21', { network_advice_code: '21' }],
    ['pm_card_chargeDeclinedLostCard', 'visa:never-retry-decline-code-41', { network_decline_code: '41', advice_code: 'do_not_try_again', card_network: 'visa' }],
  ];
  for (const [card, rule, stored] of stops) {
    it(`${card}: never retried on the card (${rule}), the codes stored on the attempt`, async () => {
      const customer = await customerOn(card);
      const invoiceId = await insertInvoice(s.db, { customerId: customer.id });
      const t0 = new Date();
      assert.equal((await runAt(t0)).totals.failed, 1);
      const row = await invoiceRow(s.db, invoiceId);
      assert.equal(row.next_attempt_at, null);
      assert.equal(row.dunning_stopped_reason, 'hard_decline');
      const [attempt] = await attemptRows(s.db, invoiceId);
      for (const [column, value] of Object.entries(stored)) assert.equal(attempt[column], value, column);
      assert.ok(attempt.card_fingerprint, 'the card fingerprint comes with the decline');
      const [decision] = await decisions(invoiceId);
      assert.equal(decision.rule, rule);
      assert.equal(decision.action, 'stop');
      // However long we wait, nothing is sent again on this card.
      const sent = sentCharges();
      for (const days of [1, 3, 14, 40]) assert.equal((await runAt(new Date(t0.getTime() + days * DAY))).processed, 0);
      assert.equal(sentCharges(), sent);
      assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
    });
  }

  it('Mastercard MAC 24 sets the retry no earlier than advised; confirm_card_data waits for a new payment method', async () => {
    const mac24 = await customerOn('pm_sim_mastercard_mac24');
    const mac01 = await customerOn('pm_sim_mastercard_mac01');
    const retried = await insertInvoice(s.db, { customerId: mac24.id });
    const waiting = await insertInvoice(s.db, { customerId: mac01.id });
    await runAt(new Date());
    const r = await invoiceRow(s.db, retried);
    // 1 h advised, the schedule says day 1: the later wins, the advice is kept in the inputs.
    assert.equal((r.next_attempt_at as Date).getTime() - (r.first_failed_at as Date).getTime(), DAY);
    const [d] = await decisions(retried);
    assert.equal(d.rule, 'schedule:day-1');
    assert.equal((JSON.parse(String(d.inputs)) as { advice_rule: string }).advice_rule, 'mastercard:advice-code-24');
    const w = await invoiceRow(s.db, waiting);
    assert.equal(w.next_attempt_at, null);
    assert.equal(w.dunning_stopped_reason, 'needs_new_payment_method');
    assert.equal((await decisions(waiting))[0].rule, 'mastercard:advice-code-01');
  });

  it('a card network budget postpones retries across several invoices of one card (saved twice), and sends them when the window allows', async () => {
    // One Mastercard saved by two customers: two payment methods, one fingerprint, one budget.
    const holders = [];
    for (const email of ['a@example.test', 'b@example.test']) {
      const c = await s.stripe.customers.create({ email });
      const pm = await s.stripe.paymentMethods.attach('pm_card_mastercard', { customer: c.id });
      s.stack.stripe.setPaymentMethodBehaviour(pm.id, 'pm_card_chargeDeclined'); // the card starts declining
      holders.push(await insertCustomer(s.db, { stripeCustomerId: c.id, stripePaymentMethodId: pm.id }));
    }
    const invoices: number[] = [];
    for (let n = 0; n < 12; n += 1) invoices.push(await insertInvoice(s.db, { customerId: holders[n % 2], amountCents: 1000 + n }));
    const t0 = new Date();
    assert.equal((await runAt(t0)).totals.failed, 12);
    const [{ fp }] = (await s.db.query<RowDataPacket[]>('SELECT DISTINCT card_fingerprint AS fp FROM payment_attempt'))[0];
    assert.ok(fp);

    // Day 1: all twelve retries are due, but Mastercard allows 10 per card in 24 h.
    clockOffsetMs = DAY + 5 * 60_000;
    let sent = sentCharges();
    const day1 = await runAt(workerNow());
    assert.equal(day1.attempts.retries, 10);
    assert.equal(day1.totals.failed, 10);
    assert.equal(day1.totals.skipped, 2);
    assert.equal(sentCharges() - sent, 10, 'a retry over the budget is never sent');
    const postponed = day1.results.filter((r) => r.status === 'skipped');
    for (const r of postponed) assert.match(r.error ?? '', /retry postponed .*mastercard-24h: 10 of 10 attempts on this card in 24 h/);
    const retryTimes = (await s.db.query<RowDataPacket[]>('SELECT started_at FROM payment_attempt WHERE is_retry = 1 ORDER BY started_at'))[0]
      .map((x) => (x.started_at as Date).getTime());
    for (const r of postponed) {
      const row = await invoiceRow(s.db, r.invoice_id);
      assert.equal(row.status, 'failed');
      // Postponed to when the oldest of the ten leaves the 24 h window.
      assert.equal((row.next_attempt_at as Date).getTime(), retryTimes[0] + DAY);
      const [d] = (await decisions(r.invoice_id)).slice(-1);
      assert.equal(d.rule, 'budget:mastercard-24h');
      const inputs = JSON.parse(String(d.inputs)) as { card_fingerprint: string; budgets: Array<{ budget: string; used: number; maxAttempts: number }> };
      assert.equal(inputs.card_fingerprint, fp);
      assert.deepEqual(inputs.budgets.map((b) => [b.budget, b.used, b.maxAttempts]), [['mastercard-24h', 10, 10], ['mastercard-30d', 22, 35]]);
    }

    // The invoices report says why and when.
    const report = formatInvoiceReport(await listInvoicesForReport(s.db, { statuses: ['failed'], limit: 100 }));
    const postponedId = postponed[0].invoice_id;
    const block = report.slice(report.indexOf(`invoice ${postponedId}\n`));
    assert.match(block, /why: {2}budget:mastercard-24h: Card network budget mastercard-24h: 10 of 10 attempts on this card in 24 h/);
    assert.match(block, /mastercard-24h 10\/10, mastercard-30d 22\/35/);
    assert.match(block, new RegExp(`next: ${new Date(retryTimes[0] + DAY).toISOString()}`));

    // Later on day 1 nothing fits yet; on day 2 the two postponed retries go, the ten wait for day 3.
    clockOffsetMs = DAY + 6 * 3_600_000;
    sent = sentCharges();
    assert.equal((await runAt(workerNow())).processed, 0);
    clockOffsetMs = retryTimes[0] + DAY - Date.now() + 60_000;
    const day2 = await runAt(workerNow());
    assert.equal(day2.attempts.retries, 2);
    assert.deepEqual(day2.results.map((r) => r.invoice_id).sort(), postponed.map((r) => r.invoice_id).sort());
    assert.equal(sentCharges() - sent, 2);

    // No retry was sent into a 24 h window that already held 10 attempts on the card (first
    // charges of new invoices are not retries; they count, but are never held back).
    const all = (await s.db.query<RowDataPacket[]>('SELECT started_at, is_retry FROM payment_attempt WHERE card_fingerprint = ? ORDER BY started_at', [fp]))[0];
    assert.equal(all.length, 24);
    const times = all.map((x) => (x.started_at as Date).getTime());
    for (const x of all.filter((a) => Number(a.is_retry) === 1)) {
      const t = (x.started_at as Date).getTime();
      assert.ok(times.filter((u) => u > t - DAY && u <= t).length <= 10, 'Mastercard 10 per 24 h kept');
    }
  });

  async function decisions(invoiceId: number): Promise<RowDataPacket[]> {
    const [rows] = await s.db.query<RowDataPacket[]>('SELECT * FROM dunning_decision WHERE invoice_id = ? ORDER BY id', [invoiceId]);
    return rows;
  }
});
