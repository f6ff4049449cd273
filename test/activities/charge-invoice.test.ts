import { strict as assert } from 'node:assert';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import type { RowDataPacket } from 'mysql2/promise';
import { STRIPE_RATE_LIMITS } from '../../dev/stripe-simulator';
import { createActivities, type ChargeInvoiceInput } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { SYSTEMIC_STRIPE_ERROR, TRANSIENT_STRIPE_ERROR } from '../../src/shared';
import { attemptRows, FUTURE, insertCustomer, insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { openTestServices, stripeClientFor, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

describe('chargeInvoice activity (MariaDB + Stripe simulator)', function () {
  this.timeout(60_000);
  let s: TestServices;
  let clockOffsetMs = 0;
  const clock = () => new Date(Date.now() + clockOffsetMs);
  const activities = () => createActivities({ db: s.db, stripe: s.stripe, clock });
  const asOf = new Date().toISOString();
  const input = (invoiceId: number, claimRunId = 'run-A/1'): ChargeInvoiceInput => ({ invoiceId, asOf, claimRunId });
  const charge = (i: ChargeInvoiceInput, acts = activities()): Promise<InvoiceRunResult> =>
    new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(acts.chargeInvoice, i);
  const ledgerFor = (invoiceId: number) => s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));

  async function expectFailure(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
    let value: unknown;
    try {
      value = await promise;
    } catch (err) {
      assert.ok(err instanceof ApplicationFailure, `expected ApplicationFailure, got ${String(err)}`);
      assert.equal(err.type, type);
      return err;
    }
    assert.fail(`expected ${type}, got ${JSON.stringify(value)}`);
  }

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
  });
  after(() => s?.close());
  beforeEach(async () => {
    clockOffsetMs = 0;
    await s.reset();
  });

  it('charges a saved card once and records paid with paid_at and the PaymentIntent', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa'), amountCents: 5000 });
    const result = await charge(input(invoiceId));
    assert.equal(result.status, 'paid');
    assert.match(result.payment_intent_id ?? '', /^pi_/);
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'paid');
    assert.ok(row.paid_at instanceof Date);
    assert.equal(row.stripe_payment_intent_id, result.payment_intent_id);
    assert.equal(row.claim_run_id, null);
    const [attempt] = await attemptRows(s.db, invoiceId);
    assert.equal(attempt.outcome, 'paid');
    assert.match(String(attempt.idempotency_key), new RegExp(`^invoice-${invoiceId}-attempt-1-`));
    const ledger = ledgerFor(invoiceId);
    assert.equal(ledger.length, 1);
    assert.equal(ledger[0].amount, 5000);
    assert.equal(ledger[0].idempotencyKey, attempt.idempotency_key);
  });

  const declines: Array<[string, string, string | null]> = [
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'expired_card'],
    ['pm_card_chargeCustomerFail', 'card_declined', 'generic_decline'],
  ];
  for (const [method, code, declineCode] of declines) {
    it(`records ${method} as failed with ${code}/${declineCode ?? '-'}`, async () => {
      const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, method) });
      const result = await charge(input(invoiceId));
      assert.equal(result.status, 'failed');
      assert.ok(result.error && result.error.length > 0);
      const row = await invoiceRow(s.db, invoiceId);
      assert.equal(row.status, 'failed');
      assert.equal(row.failure_code, code);
      assert.equal(row.decline_code, declineCode);
      assert.equal(row.stripe_payment_intent_id, result.payment_intent_id);
      assert.equal((await attemptRows(s.db, invoiceId))[0].outcome, 'failed');
      assert.equal(ledgerFor(invoiceId).length, 0);
    });
  }

  it('records an off-session authentication demand as requires_auth and keeps the PaymentIntent', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired') });
    const result = await charge(input(invoiceId));
    assert.equal(result.status, 'requires_auth');
    assert.match(result.payment_intent_id ?? '', /^pi_/);
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'requires_auth');
    assert.equal(row.stripe_payment_intent_id, result.payment_intent_id);
    assert.equal(ledgerFor(invoiceId).length, 0);
  });

  it('keeps a processing (bank debit) payment in processing with its PaymentIntent, then settles it', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_sim_processing') });
    const first = await charge(input(invoiceId));
    assert.equal(first.status, 'processing');
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'processing');
    assert.equal(row.stripe_payment_intent_id, first.payment_intent_id);
    s.stack.stripe.settleProcessing(first.payment_intent_id as string, 'succeed');
    // Not settled by another run before the re-check time...
    assert.equal((await charge(input(invoiceId, 'run-B/1'))).status, 'skipped');
    // ...and settled by the recovery path once it is due.
    clockOffsetMs = 2 * 60 * 60_000;
    const settled = await charge(input(invoiceId, 'run-B/1'));
    assert.equal(settled.status, 'paid');
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  it('skips a customer without a payment method and leaves the invoice pending', async () => {
    const customerId = await insertCustomer(s.db, { stripeCustomerId: 'cus_only', stripePaymentMethodId: null });
    const invoiceId = await insertInvoice(s.db, { customerId });
    const result = await charge(input(invoiceId));
    assert.equal(result.status, 'skipped');
    assert.match(result.error ?? '', /no_payment_method/);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'pending');
    assert.equal((await attemptRows(s.db, invoiceId))[0].outcome, 'skipped');
    assert.equal(s.stack.stripe.stats().requests, 0);
    // Every later run reports it again, without adding an audit row each time.
    assert.match((await charge(input(invoiceId, 'run-B/1'))).error ?? '', /no_payment_method/);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });

  it('skips invoices that are no longer pending or not due, without writing', async () => {
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const paid = await insertInvoice(s.db, { customerId, status: 'paid' });
    const notDue = await insertInvoice(s.db, { customerId, dueDate: FUTURE });
    assert.match((await charge(input(paid))).error ?? '', /paid, not pending/);
    assert.match((await charge(input(notDue))).error ?? '', /not due/);
    assert.equal((await attemptRows(s.db, paid)).length, 0);
    assert.equal(s.stack.stripe.ledger().length, 0);
  });

  it('fails invalid amounts without calling Stripe; skips amounts below the minimum', async () => {
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const before = s.stack.stripe.stats().requests;
    const negative = await insertInvoice(s.db, { customerId, amountCents: -5 });
    const small = await insertInvoice(s.db, { customerId, amountCents: 20 });
    assert.equal((await charge(input(negative))).status, 'failed');
    assert.equal((await invoiceRow(s.db, negative)).failure_code, 'invalid_amount');
    assert.equal((await charge(input(small))).status, 'skipped');
    assert.equal((await invoiceRow(s.db, small)).status, 'pending');
    assert.equal(s.stack.stripe.stats().requests, before);
  });

  it('records resource_missing for a customer Stripe does not know', async () => {
    const customerId = await insertCustomer(s.db, { stripeCustomerId: 'cus_doesnotexist', stripePaymentMethodId: 'pm_card_visa' });
    const invoiceId = await insertInvoice(s.db, { customerId });
    const result = await charge(input(invoiceId));
    assert.equal(result.status, 'failed');
    assert.equal((await invoiceRow(s.db, invoiceId)).failure_code, 'resource_missing');
  });

  it('stops on a rejected key: systemic failure, claim released, invoice not failed', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    const badKey = 'sk_test_revokedkey0000';
    const acts = createActivities({ db: s.db, stripe: stripeClientFor(s.stack, badKey), clock });
    const failure = await expectFailure(charge(input(invoiceId), acts), SYSTEMIC_STRIPE_ERROR);
    assert.equal(failure.nonRetryable, true);
    assert.ok(!failure.message.includes(badKey));
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'pending');
    assert.equal((await attemptRows(s.db, invoiceId))[0].outcome, 'released');
    // The next run with a good key charges it.
    assert.equal((await charge(input(invoiceId, 'run-B/1'))).status, 'paid');
  });

  it('charge committed then response dropped: the retry re-sends the same key and charges once', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    // The SDK itself re-sends once on a closed connection (same key), so drop that one too.
    s.stack.stripe.configure({ faults: { next: ['dropAfterCommit', 'resetBefore'] } });
    await expectFailure(charge(input(invoiceId)), TRANSIENT_STRIPE_ERROR);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'processing');
    assert.equal(ledgerFor(invoiceId).length, 1);
    const result = await charge(input(invoiceId));
    assert.equal(result.status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
    assert.ok(s.stack.stripe.stats().replays >= 1);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });

  it('a 500 that charged nothing: attempt released, the retry starts a new attempt and charges once', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    s.stack.stripe.configure({ faults: { next: ['error500'] } });
    await expectFailure(charge(input(invoiceId)), TRANSIENT_STRIPE_ERROR);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'pending');
    assert.equal((await charge(input(invoiceId))).status, 'paid');
    const attempts = await attemptRows(s.db, invoiceId);
    assert.deepEqual(attempts.map((a) => String(a.outcome)), ['released', 'paid']);
    assert.notEqual(attempts[0].idempotency_key, attempts[1].idempotency_key);
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  it('rate limited (429) and reset connections are retried with the same attempt', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    s.stack.stripe.configure({ faults: { next: ['rateLimit429', 'resetBefore', 'resetBefore'] } });
    await expectFailure(charge(input(invoiceId)), TRANSIENT_STRIPE_ERROR);
    await expectFailure(charge(input(invoiceId)), TRANSIENT_STRIPE_ERROR);
    assert.equal((await charge(input(invoiceId))).status, 'paid');
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  /** The Stripe customer of a customer row, to send a write of our own for it. */
  async function stripeIdsOf(customerId: number): Promise<{ customer: string; paymentMethod: string }> {
    const [rows] = await s.db.query<RowDataPacket[]>('SELECT stripe_customer_id, stripe_payment_method_id FROM customer WHERE id = ?', [customerId]);
    return { customer: String(rows[0].stripe_customer_id), paymentMethod: String(rows[0].stripe_payment_method_id) };
  }
  const createsFor = (invoiceKey: string) => s.stack.stripe.requests().filter((r) => r.endpoint === 'POST /v1/payment_intents' && r.idempotencyKey === invoiceKey);

  it('a 429 lock_timeout is retried with the same key and charged once; it is no decline and no failed attempt', async () => {
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const invoiceId = await insertInvoice(s.db, { customerId });
    const ids = await stripeIdsOf(customerId);
    // Another write for the same customer holds its lock (800 ms of latency) while the charge is sent.
    s.stack.stripe.configure({ lockTimeout: { probability: 1, windowMs: 0 }, latency: { distribution: 'fixed', meanMs: 800 } });
    const other = s.stripe.paymentIntents.create(
      { amount: 700, currency: 'usd', customer: ids.customer, payment_method: ids.paymentMethod, off_session: true, confirm: true },
      { idempotencyKey: `other-write-${invoiceId}` },
    );
    await new Promise((r) => setTimeout(r, 200));
    const failure = await expectFailure(charge(input(invoiceId)), TRANSIENT_STRIPE_ERROR);
    assert.match(failure.message, /lock_timeout/);
    assert.equal(failure.nonRetryable, false);
    await other;
    const held = await invoiceRow(s.db, invoiceId);
    assert.equal(held.status, 'processing', 'the claim and the attempt stay: the same key is sent again');
    assert.equal(held.failure_code, null);
    assert.equal(held.next_attempt_at, null, 'no dunning step');
    const [inFlight] = await attemptRows(s.db, invoiceId);
    assert.equal(inFlight.outcome, 'in_flight');
    assert.equal(s.stack.stripe.stats().lockTimeouts, 1);

    s.stack.stripe.configure({ latency: { distribution: 'fixed', meanMs: 0 } });
    assert.equal((await charge(input(invoiceId))).status, 'paid');
    const attempts = await attemptRows(s.db, invoiceId);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].outcome, 'paid');
    assert.equal((await invoiceRow(s.db, invoiceId)).attempt_count, 1);
    const sent = createsFor(String(attempts[0].idempotency_key));
    assert.deepEqual(sent.map((r) => [r.status, r.code]), [[429, 'lock_timeout'], [200, null]], 'the same key twice: refused, then charged');
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  it("a rate-limit 429 with Retry-After asks Temporal for exactly that wait; the retry sends the same key and charges once", async () => {
    const customerId = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    const invoiceId = await insertInvoice(s.db, { customerId });
    const ids = await stripeIdsOf(customerId);
    // A create endpoint of 0.5/s: one token, then the next one in 2 s, advised as Retry-After: 2.
    s.stack.stripe.configure({ rateLimits: { ...STRIPE_RATE_LIMITS, endpoints: { 'POST /v1/payment_intents': 0.5 }, sendRetryAfter: true } });
    try {
      await s.stripe.paymentIntents.create(
        { amount: 700, currency: 'usd', customer: ids.customer, payment_method: ids.paymentMethod, off_session: true, confirm: true },
        { idempotencyKey: `take-the-token-${invoiceId}` },
      );
      const failure = await expectFailure(charge(input(invoiceId)), TRANSIENT_STRIPE_ERROR);
      assert.match(failure.message, /rate_limit/);
      assert.equal(failure.nextRetryDelay, 2000, 'the next retry waits Retry-After, not the policy backoff');
      assert.equal((await invoiceRow(s.db, invoiceId)).status, 'processing');
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal((await charge(input(invoiceId))).status, 'paid');
    } finally {
      s.stack.stripe.configure({ rateLimits: STRIPE_RATE_LIMITS, rateLimitPerSecond: 1000 });
    }
    const attempts = await attemptRows(s.db, invoiceId);
    assert.equal(attempts.length, 1);
    const sent = createsFor(String(attempts[0].idempotency_key));
    assert.deepEqual(sent.map((r) => [r.status, r.code]), [[429, 'rate_limit'], [200, null]]);
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  it('a response slower than the timeout: 409 while in flight, then the replay', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    s.stack.stripe.configure({ faults: { next: ['slowResponse'], slowResponseMs: 5_000 } });
    const fast = createActivities({ db: s.db, stripe: stripeClientFor(s.stack, undefined, 1_000), clock });
    await expectFailure(charge(input(invoiceId), fast), TRANSIENT_STRIPE_ERROR); // client timeout
    const conflict = await expectFailure(charge(input(invoiceId), fast), TRANSIENT_STRIPE_ERROR); // still in flight
    assert.match(conflict.message, /409|in flight/);
    await new Promise((r) => setTimeout(r, 4_500));
    assert.equal((await charge(input(invoiceId), fast)).status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  it('an overlapping run skips an invoice claimed by another live run; an expired claim is recovered with its key', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });
    s.stack.stripe.configure({ faults: { next: ['dropAfterCommit', 'resetBefore'] } });
    await expectFailure(charge(input(invoiceId, 'run-A/1')), TRANSIENT_STRIPE_ERROR);
    const other = await charge(input(invoiceId, 'run-B/1'));
    assert.equal(other.status, 'skipped');
    assert.match(other.error ?? '', /another run/);
    clockOffsetMs = 31 * 60_000; // past the 30-minute claim lease
    const recovered = await charge(input(invoiceId, 'run-B/1'));
    assert.equal(recovered.status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
  });

  it('the database refuses a second in-flight attempt for the same invoice', async () => {
    const invoiceId = await insertInvoice(s.db, { customerId: null });
    const row = { invoice_id: invoiceId, outcome: 'in_flight', run_id: 'r', started_at: new Date() };
    await s.db.query('INSERT INTO payment_attempt SET ?, attempt_number = 1', [row]);
    await assert.rejects(s.db.query('INSERT INTO payment_attempt SET ?, attempt_number = 2', [row]), /Duplicate entry/);
  });
});
