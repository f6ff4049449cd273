/**
 * The attempt protocol (docs/attempt-protocol.md), rule by rule, against MariaDB and the
 * simulator: each test could fail if the rule were broken.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type ChargeInvoiceInput } from '../../src/activities';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { withTransaction } from '../../src/db/sql';
import { resolveAttempt, startAttemptOnInvoice } from '../../src/db/transitions';
import { TRANSIENT_STRIPE_ERROR } from '../../src/shared';
import { attemptRows, insertInvoice, insertStripeCustomer, invoiceRow } from '../support/fixtures';
import { openTestServices, stripeClientFor, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('attempt protocol: each rule enforced', function () {
  this.timeout(60_000);
  let s: TestServices;
  const asOf = new Date().toISOString();
  const input = (invoiceId: number, claimRunId = 'run-A/1'): ChargeInvoiceInput => ({ invoiceId, asOf, claimRunId });
  const charge = (i: ChargeInvoiceInput, acts = createActivities({ db: s.db, stripe: s.stripe })): Promise<InvoiceRunResult> =>
    new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(acts.chargeInvoice, i);
  const ledgerFor = (invoiceId: number) => s.stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));
  const visaInvoice = async () => insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa') });

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
  });
  after(() => s?.close());
  beforeEach(() => s.reset());

  it('1. the attempt and its key are committed before Stripe charges: visible while the charge is held at Stripe', async () => {
    const invoiceId = await visaInvoice();
    s.stack.stripe.configure({ faults: { next: ['slowResponse'], slowResponseMs: 2_000 } });
    const pending = charge(input(invoiceId), createActivities({ db: s.db, stripe: stripeClientFor(s.stack, undefined, 10_000) }));
    for (let i = 0; i < 50 && ledgerFor(invoiceId).length === 0; i += 1) await sleep(40);
    const [charged] = ledgerFor(invoiceId);
    assert.ok(charged, 'Stripe committed the charge');
    const [attempt] = await attemptRows(s.db, invoiceId);
    assert.equal(attempt?.outcome, 'in_flight', 'the attempt row exists while Stripe holds the answer');
    assert.equal(attempt.idempotency_key, charged.idempotencyKey, 'with the very key Stripe received');
    assert.equal((await pending).status, 'paid');
  });

  it('2. at most one attempt in flight per invoice: eight runs claiming at once make one attempt and one charge', async () => {
    const invoiceId = await visaInvoice();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => charge(input(invoiceId, `run-${i}/1`))));
    assert.equal(results.filter((r) => r.status === 'paid').length, 1, JSON.stringify(results));
    assert.ok(results.every((r) => r.status === 'paid' || r.status === 'skipped'));
    assert.equal((await attemptRows(s.db, invoiceId)).length, 1);
    assert.equal(ledgerFor(invoiceId).length, 1);
    // And the database itself refuses a second in-flight row, whatever the code path.
    const row = { invoice_id: invoiceId, outcome: 'in_flight', run_id: 'r', started_at: new Date() };
    await s.db.query('INSERT INTO payment_attempt SET ?, attempt_number = 90', [row]);
    await assert.rejects(s.db.query('INSERT INTO payment_attempt SET ?, attempt_number = 91', [row]), /Duplicate entry/);
  });

  it('3. no new attempt while the outcome is unknown: six lost answers in a row, one attempt, one key, one charge', async () => {
    const invoiceId = await visaInvoice();
    s.stack.stripe.configure({ faults: { next: ['dropAfterCommit', 'resetBefore', 'resetBefore', 'dropAfterCommit', 'resetBefore', 'resetBefore'] } });
    for (let i = 0; i < 6; i += 1) {
      const outcome = await charge(input(invoiceId)).then((r) => r.status, (err: unknown) => (err instanceof ApplicationFailure ? err.type : String(err)));
      if (outcome === 'paid') break;
      assert.equal(outcome, TRANSIENT_STRIPE_ERROR);
    }
    assert.equal((await charge(input(invoiceId))).status, 'paid');
    const attempts = await attemptRows(s.db, invoiceId);
    assert.equal(attempts.length, 1);
    assert.equal(ledgerFor(invoiceId).length, 1);
    assert.equal(ledgerFor(invoiceId)[0].idempotencyKey, attempts[0].idempotency_key);
  });

  it('4. an unknown outcome is looked up by the customer\'s PaymentIntents, never by Search', async () => {
    const invoiceId = await visaInvoice();
    const logFile = path.join(s.stack.logDir, 'stripe-simulator.log');
    const logOffset = readFileSync(logFile).length; // only this test's requests
    s.stack.stripe.configure({ faults: { next: ['error500'] } });
    await charge(input(invoiceId)).catch(() => undefined); // 500 → lookup → proven uncharged
    assert.equal((await charge(input(invoiceId))).status, 'paid');
    await sleep(100); // the log stream is written asynchronously
    const log = readFileSync(logFile).subarray(logOffset).toString('utf8');
    assert.match(log, /GET \/v1\/payment_intents -> 200/, 'the lookup listed the customer\'s PaymentIntents');
    assert.doesNotMatch(log, /\/v1\/payment_intents\/search/);
    assert.deepEqual((await attemptRows(s.db, invoiceId)).map((a) => String(a.outcome)), ['released', 'paid']);
  });

  it('4b. a re-send refused as an idempotency mismatch (a release changed the request) is looked up, not marked failed', async () => {
    const invoiceId = await visaInvoice();
    // The first send charges, but its answer is lost: the outcome is unknown.
    s.stack.stripe.configure({ faults: { next: ['dropAfterCommit', 'resetBefore'] } });
    await charge(input(invoiceId)).catch(() => undefined);
    assert.equal(ledgerFor(invoiceId).length, 1);
    // A new release adds a metadata field: the same key now comes with other parameters (400).
    const newRelease = stripeClientFor(s.stack);
    const create = newRelease.paymentIntents.create.bind(newRelease.paymentIntents);
    const withReleaseMetadata: typeof create = (params, options) => create({ ...params, metadata: { ...params?.metadata, release: 'v2' } }, options);
    newRelease.paymentIntents.create = withReleaseMetadata;
    const result = await charge(input(invoiceId), createActivities({ db: s.db, stripe: newRelease }));
    assert.equal(result.status, 'paid', 'the charge that happened is found and recorded');
    assert.equal(result.payment_intent_id, ledgerFor(invoiceId)[0].paymentIntentId);
    assert.equal((await invoiceRow(s.db, invoiceId)).status, 'paid');
    assert.equal(ledgerFor(invoiceId).length, 1);
  });

  it('5. states only move forward: nothing overwrites paid', async () => {
    const invoiceId = await visaInvoice();
    const paid = await charge(input(invoiceId));
    assert.equal(paid.status, 'paid');
    const now = new Date();
    const late = await withTransaction(s.db, (tx) => resolveAttempt(tx, {
      invoiceId, attemptNumber: 1, outcome: 'failed', invoiceStatus: 'failed', now, failure: { code: 'card_declined', message: 'late decline' },
    }));
    assert.equal(late, false, 'a late outcome for the same attempt is refused');
    const reclaimed = await withTransaction(s.db, (tx) => startAttemptOnInvoice(tx, {
      invoiceId, attemptNumber: 2, from: 'pending', to: 'processing', claimRunId: 'run-B/1', now, leaseExpiresAt: now,
    }));
    assert.equal(reclaimed, false, 'a paid invoice cannot be claimed again');
    assert.equal((await charge(input(invoiceId, 'run-C/1'))).status, 'skipped');
    const row = await invoiceRow(s.db, invoiceId);
    assert.equal(row.status, 'paid');
    assert.equal(row.stripe_payment_intent_id, paid.payment_intent_id);
    assert.equal(ledgerFor(invoiceId).length, 1);
  });
});
