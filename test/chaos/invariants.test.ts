/**
 * The chaos suite's judge must be able to fail: fed a consistent state it finds nothing; fed a
 * double charge, a lost outcome, a stuck invoice or a summary that disagrees, it counts each.
 */
import { strict as assert } from 'node:assert';
import type { WorkflowHandle } from '@temporalio/client';
import { seedInvoices, type SeededInvoice } from '../../dev/chaos/data-set';
import { checkInvariants } from '../../dev/chaos/invariants';
import type { RunRecord } from '../../dev/chaos/runs';
import type { LedgerEntry } from '../../dev/stripe-simulator';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import { addResult, emptyTally } from '../../src/workflows/run-summary';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

describe('chaos invariants: the checker catches each violation', function () {
  this.timeout(60_000);
  let s: TestServices;
  let seeded: SeededInvoice[];
  let paidOne: SeededInvoice;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
  });
  after(() => s?.close());
  beforeEach(async () => {
    await s.reset();
    seeded = (await seedInvoices(s.db, s.stack.stripe, 30)).filter((i) => i.expected === 'paid').slice(0, 3);
    // Only these invoices are judged; make them the consistent "paid" state.
    for (const inv of seeded) await markPaid(inv, `pi_ok${inv.id}`, `key-${inv.id}`);
    paidOne = seeded[0];
  });

  async function markPaid(inv: SeededInvoice, pi: string, key: string): Promise<void> {
    await s.db.query("UPDATE invoice SET status = 'paid', stripe_payment_intent_id = ?, attempt_count = 1 WHERE id = ?", [pi, inv.id]);
    await s.db.query(
      "INSERT INTO payment_attempt (invoice_id, attempt_number, idempotency_key, stripe_payment_intent_id, outcome, run_id, started_at) VALUES (?, 1, ?, ?, 'paid', 'wf-1/run', NOW())",
      [inv.id, key, pi],
    );
  }
  const charge = (inv: SeededInvoice, pi = `pi_ok${inv.id}`, key = `key-${inv.id}`): LedgerEntry => ({
    paymentIntentId: pi, chargeId: `ch_${pi}`, amount: inv.amountCents, currency: inv.currency, customer: null, paymentMethod: null,
    metadata: { invoice_id: String(inv.id) }, idempotencyKey: key, created: 0,
  });
  const run = (results: InvoiceRunResult[]): RunRecord => {
    const tally = emptyTally();
    for (const r of results) addResult(tally, r, 1_000);
    return {
      kind: 'ad-hoc', workflowId: 'wf-1', handle: {} as WorkflowHandle, terminated: false,
      summary: { ...tally, found: results.length, dryRun: false, concurrency: 75, asOf: '', startedAt: '', finishedAt: '', continuedAsNew: 0 },
    };
  };
  const reported = (inv: SeededInvoice): InvoiceRunResult => ({
    invoice_id: inv.id, status: 'paid', payment_intent_id: `pi_ok${inv.id}`, amount_cents: inv.amountCents, currency: inv.currency,
  });

  it('finds nothing wrong in a consistent state', async () => {
    const report = await checkInvariants(s.db, seeded.map((i) => charge(i)), seeded, [run(seeded.map(reported))]);
    assert.deepEqual(report.problems, []);
  });

  it('counts a second succeeded charge for one invoice as a double charge', async () => {
    const ledger = [...seeded.map((i) => charge(i)), charge(paidOne, 'pi_second', 'key-other')];
    const report = await checkInvariants(s.db, ledger, seeded, [run(seeded.map(reported))]);
    assert.equal(report.doubleCharges, 1);
  });

  it('counts a charge recorded as failed, and a paid invoice without a charge, as lost outcomes', async () => {
    await s.db.query("UPDATE invoice SET status = 'failed' WHERE id = ?", [paidOne.id]);
    const ledger = seeded.map((i) => charge(i)).filter((e) => e.metadata.invoice_id !== String(seeded[1].id));
    const report = await checkInvariants(s.db, ledger, seeded, [run(seeded.map(reported))]);
    assert.equal(report.lostOutcomes, 2);
  });

  it('counts an invoice left processing, or an attempt left in flight, as stuck', async () => {
    await s.db.query("UPDATE invoice SET status = 'processing' WHERE id = ?", [paidOne.id]);
    await s.db.query("UPDATE payment_attempt SET outcome = 'in_flight' WHERE invoice_id = ?", [seeded[1].id]);
    const report = await checkInvariants(s.db, seeded.map((i) => charge(i)), seeded, [run(seeded.map(reported))]);
    assert.equal(report.stuckInvoices, 2);
  });

  it('flags a summary that disagrees with the database, and a payment no run reported', async () => {
    const wrongPi = { ...reported(paidOne), payment_intent_id: 'pi_other' };
    const report = await checkInvariants(s.db, seeded.map((i) => charge(i)), seeded, [run([wrongPi, reported(seeded[1])])]);
    assert.equal(report.lostOutcomes, 2, report.problems.join('\n'));
    assert.ok(report.problems.some((p) => /no run reported it/.test(p)));
  });
});
