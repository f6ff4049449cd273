import { strict as assert } from 'node:assert';
import type { RowDataPacket } from 'mysql2/promise';
import { ATTEMPT_OUTCOMES, ATTEMPT_TRANSITIONS, canAttemptTransition, type AttemptOutcome, type AttemptTransitionName } from '../../src/billing/attempt-outcome';
import {
  canTransition, INVOICE_STATUSES, INVOICE_TRANSITIONS, type InvoiceStatus, type InvoiceTransitionName,
} from '../../src/billing/invoice-state';
import { withTransaction, type Tx } from '../../src/db/sql';
import {
  expireAuthentication, postponeRetry, renewClaim, resolveAttempt, settleInvoiceFailed, settleInvoicePaid, startAttemptOnInvoice,
  type AttemptResolution,
} from '../../src/db/transitions';
import { insertInvoice, invoiceRow } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

/**
 * The database accepts exactly the (from, to) pairs the tables in src/billing allow: every writer
 * of src/db/transitions.ts is tried from every state, alone and racing another writer.
 */
describe('state transitions: the database enforces the billing tables (MariaDB)', function () {
  this.timeout(120_000);
  let s: TestServices;
  const now = new Date('2026-06-01T12:00:00Z');
  const later = new Date('2026-06-01T13:00:00Z');
  const PI = 'pi_transition_test';

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    await s.reset();
  });
  after(() => s?.close());

  interface Loaded { id: number; status: InvoiceStatus; attemptCount: number }
  type Writer = { transition: InvoiceTransitionName; to: InvoiceStatus; run: (tx: Tx, r: Loaded) => Promise<boolean> };

  const resolveTo: Record<AttemptResolution['invoiceStatus'], AttemptResolution['outcome']> = {
    paid: 'paid', requires_auth: 'requires_auth', failed: 'failed', pending: 'released', processing: 'processing',
  };
  const WRITERS: Writer[] = [
    { transition: 'claim', to: 'processing', run: (tx, r) => startAttemptOnInvoice(tx, {
      invoiceId: r.id, attemptNumber: r.attemptCount + 1, from: r.status as never, to: 'processing', claimRunId: 'run-T/1', now, leaseExpiresAt: later,
    }) },
    ...(['failed', 'pending'] as const).map((to): Writer => ({ transition: 'decideWithoutStripe', to, run: (tx, r) => startAttemptOnInvoice(tx, {
      invoiceId: r.id, attemptNumber: r.attemptCount + 1, from: r.status as never, to, claimRunId: 'run-T/1', now, leaseExpiresAt: null,
      failure: { code: 'test', message: 'decided without Stripe' },
    }) })),
    { transition: 'renewClaim', to: 'processing', run: (tx, r) => renewClaim(tx, {
      invoiceId: r.id, attemptNumber: r.attemptCount, claimRunId: 'run-T/2', now, leaseExpiresAt: later,
    }) },
    ...(Object.keys(resolveTo) as Array<AttemptResolution['invoiceStatus']>).map((to): Writer => ({ transition: 'resolveAttempt', to, run: (tx, r) => resolveAttempt(tx, {
      invoiceId: r.id, attemptNumber: r.attemptCount, outcome: resolveTo[to], invoiceStatus: to, paymentIntentId: PI, now,
    }) })),
    { transition: 'settlePaid', to: 'paid', run: (tx, r) => settleInvoicePaid(tx, {
      invoiceId: r.id, attemptCount: r.attemptCount, from: r.status as never, paymentIntentId: PI, now,
    }) },
    { transition: 'settleFailed', to: 'failed', run: (tx, r) => settleInvoiceFailed(tx, {
      invoiceId: r.id, attemptCount: r.attemptCount, from: r.status as never, paymentIntentId: PI, now,
      failure: { code: 'card_declined', message: 'declined' },
      dunning: { nextAttemptAt: later, firstFailedAt: now, failedPaymentMethodId: 'pm_x', stoppedReason: null },
    }) },
    { transition: 'expireAuthentication', to: 'failed', run: (tx, r) => expireAuthentication(tx, { invoiceId: r.id, paymentIntentId: PI, now }) },
    { transition: 'postponeRetry', to: 'failed', run: (tx, r) => postponeRetry(tx, r.id, later) },
  ];

  it('has a writer for every (transition, target) of the invoice table, and no other', () => {
    const written = new Set(WRITERS.map((w) => `${w.transition}→${w.to}`));
    const tabled = new Set(Object.entries(INVOICE_TRANSITIONS).flatMap(([name, t]) => t.to.map((to) => `${name}→${to}`)));
    assert.deepEqual([...written].sort(), [...tabled].sort());
  });

  /** An invoice in `status` whose current attempt 1 (outcome `outcome`) recorded PaymentIntent PI. */
  async function invoiceIn(status: InvoiceStatus, outcome: AttemptOutcome = 'processing'): Promise<Loaded> {
    const id = await insertInvoice(s.db, { customerId: null, status });
    await s.db.query(
      'UPDATE invoice SET attempt_count = 1, stripe_payment_intent_id = ?, claim_run_id = ?, lease_expires_at = ? WHERE id = ?',
      [PI, 'run-T/1', now, id],
    );
    await s.db.query(
      `INSERT INTO payment_attempt (invoice_id, attempt_number, is_retry, idempotency_key, stripe_payment_intent_id, stripe_payment_method_id,
         outcome, amount_cents, currency, run_id, started_at)
       VALUES (?, 1, 0, ?, ?, 'pm_x', ?, 5000, 'usd', 'run-T/1', ?)`,
      [id, `key-${id}`, PI, outcome, now],
    );
    return { id, status, attemptCount: 1 };
  }

  const attemptOutcome = async (invoiceId: number): Promise<string> => {
    const [rows] = await s.db.query<RowDataPacket[]>('SELECT outcome FROM payment_attempt WHERE invoice_id = ? AND attempt_number = 1', [invoiceId]);
    return String(rows[0]?.outcome);
  };

  for (const from of INVOICE_STATUSES) {
    for (const to of INVOICE_STATUSES) {
      it(`invoice ${from} → ${to}: ${canTransition(from, to) ? 'accepted' : 'refused'}, as the table says`, async () => {
        let accepted = false;
        for (const writer of WRITERS.filter((w) => w.to === to)) {
          const row = await invoiceIn(from);
          const moved = await withTransaction(s.db, (tx) => writer.run(tx, row));
          const allowed = (INVOICE_TRANSITIONS[writer.transition].from as readonly InvoiceStatus[]).includes(from);
          assert.equal(moved, allowed, `${writer.transition} from ${from}`);
          assert.equal((await invoiceRow(s.db, row.id)).status, moved ? to : from, `${writer.transition}: status after`);
          accepted ||= moved;
        }
        assert.equal(accepted, canTransition(from, to));
      });
    }
  }

  // The writers that move an attempt's outcome, with the invoice in a state that lets them run.
  const ATTEMPT_WRITERS: Array<{ transition: AttemptTransitionName; to: AttemptOutcome; invoice: InvoiceStatus; run: (tx: Tx, r: Loaded) => Promise<boolean> }> = [
    ...ATTEMPT_TRANSITIONS.resolve.to.map((to) => ({ transition: 'resolve' as const, to, invoice: 'processing' as const, run: (tx: Tx, r: Loaded) => resolveAttempt(tx, {
      invoiceId: r.id, attemptNumber: 1, outcome: to, invoiceStatus: to === 'released' || to === 'skipped' ? 'pending' as const : to, now,
    }) })),
    { transition: 'settlePaid', to: 'paid', invoice: 'processing', run: (tx, r) => settleInvoicePaid(tx, { invoiceId: r.id, attemptCount: 1, from: 'processing', paymentIntentId: PI, now }) },
    { transition: 'settleFailed', to: 'failed', invoice: 'processing', run: (tx, r) => settleInvoiceFailed(tx, {
      invoiceId: r.id, attemptCount: 1, from: 'processing', paymentIntentId: PI, now, failure: { code: 'card_declined', message: 'declined' },
      dunning: { nextAttemptAt: null, firstFailedAt: now, failedPaymentMethodId: null, stoppedReason: 'hard_decline' },
    }) },
  ];

  for (const from of ATTEMPT_OUTCOMES) {
    for (const to of ATTEMPT_OUTCOMES) {
      it(`attempt ${from} → ${to}: ${canAttemptTransition(from, to) ? 'accepted' : 'refused'}, as the table says`, async () => {
        let accepted = false;
        for (const writer of ATTEMPT_WRITERS.filter((w) => w.to === to)) {
          const row = await invoiceIn(writer.invoice, from);
          await withTransaction(s.db, (tx) => writer.run(tx, row));
          const after = await attemptOutcome(row.id);
          const allowed = (ATTEMPT_TRANSITIONS[writer.transition].from as readonly AttemptOutcome[]).includes(from);
          assert.equal(after, allowed ? to : from, `${writer.transition} from ${from}`);
          accepted ||= allowed;
        }
        assert.equal(accepted, canAttemptTransition(from, to));
      });
    }
  }

  describe('concurrent attempts: two writers race from the same state, exactly one moves the invoice', () => {
    for (const from of INVOICE_STATUSES) {
      const movers = WRITERS.filter((w) => w.to !== from && (INVOICE_TRANSITIONS[w.transition].from as readonly InvoiceStatus[]).includes(from));
      for (let i = 0; i < movers.length; i += 1) {
        for (let j = i; j < movers.length; j += 1) {
          const [a, b] = [movers[i], movers[j]];
          it(`${from}: ${a.transition}→${a.to} racing ${b.transition}→${b.to}`, async () => {
            const row = await invoiceIn(from);
            const results = await Promise.all([a, b].map((w) => withTransaction(s.db, (tx) => w.run(tx, row))));
            assert.equal(results.filter(Boolean).length, 1, `winners: ${JSON.stringify(results)}`);
            const winner = results[0] ? a : b;
            const after = (await invoiceRow(s.db, row.id)).status as InvoiceStatus;
            assert.equal(after, winner.to);
            assert.ok(canTransition(from, after), `${from} → ${after} is in the table`);
          });
        }
      }
    }
  });
});
