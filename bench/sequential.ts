/**
 * Reference (a): the original design. One loop, one invoice at a time: page the due invoices,
 * and for each claim it, send the PaymentIntent, record the outcome, before touching the next.
 * Same SQL (src/db), same rules (src/billing), same SDK client and simulator as the workflow's
 * activity; no Temporal. Bounded by a count and a time budget: at 300 ms per charge, 10,000
 * invoices would take an hour, so it runs on a sample and reports its rate.
 */
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { InvoiceRunResult } from '../src/billing/run-outcome';
import { beginAttempt } from '../src/activities/begin-attempt';
import { lookUpCard } from '../src/activities/charge-invoice';
import { DEFAULT_TIMINGS, type ActivityDeps } from '../src/activities/deps';
import { leaseOnly } from '../src/temporal/claim-owners';
import { sendAttempt } from '../src/activities/stripe-calls';
import { resolveDecision } from '../src/billing/attempt-resolution';
import { listDueInvoices } from '../src/db/invoices';
import { withTransaction } from '../src/db/sql';
import { resolveAttempt } from '../src/db/transitions';
import type { Pool } from '../src/db/pool';

export interface SequentialResult {
  processed: number;
  wallMs: number;
  totals: Record<string, number>;
  /** Transient answers (429, connection) that made the loop wait and send again. */
  retries: number;
}

export async function runSequential(
  db: Pool,
  stripe: Stripe,
  opts: { asOf: Date; maxInvoices: number; maxMs: number },
): Promise<SequentialResult> {
  const deps: ActivityDeps = { db, stripe, clock: () => new Date(), randomId: () => randomUUID(), claimOwner: leaseOnly, chargeRatePerSecond: 25, ...DEFAULT_TIMINGS };
  const claimRunId = `sequential-loop/${randomUUID()}`;
  const totals: Record<string, number> = {};
  let processed = 0;
  let retries = 0;
  let cursor = 0;
  const started = Date.now();
  const budgetLeft = () => processed < opts.maxInvoices && Date.now() - started < opts.maxMs;

  while (budgetLeft()) {
    const page = await listDueInvoices(db, { asOf: opts.asOf, afterId: cursor, limit: 100 });
    if (page.length === 0) break;
    for (const invoice of page) {
      if (!budgetLeft()) break;
      cursor = invoice.id;
      const outcome = await chargeOne(deps, invoice.id, opts.asOf, claimRunId, () => { retries += 1; });
      totals[outcome.status] = (totals[outcome.status] ?? 0) + 1;
      processed += 1;
    }
  }
  return { processed, wallMs: Date.now() - started, totals, retries };
}

async function chargeOne(deps: ActivityDeps, invoiceId: number, asOf: Date, claimRunId: string, onRetry: () => void): Promise<InvoiceRunResult> {
  for (let tries = 1; ; tries += 1) {
    let start = await withTransaction(deps.db, (tx) => beginAttempt(tx, deps, { invoiceId, asOf, claimRunId }));
    if (start.kind === 'need_card') {
      const card = await lookUpCard(deps, invoiceId, start.paymentMethodId);
      start = await withTransaction(deps.db, (tx) => beginAttempt(tx, deps, { invoiceId, asOf, claimRunId, card }));
      if (start.kind === 'need_card') throw new Error(`invoice ${invoiceId}: payment method changed during the card lookup`);
    }
    if (start.kind === 'decided') return start.result;
    if (start.kind === 'settle') return { invoice_id: invoiceId, status: 'processing' };
    const { attempt } = start;
    // The same decision the activity makes (src/billing/attempt-resolution.ts).
    const resolution = resolveDecision(await sendAttempt(deps, attempt), attempt, !start.resumed);
    if (resolution.kind === 'hold' && resolution.then === 'transient') {
      // The same attempt (same key) is re-sent after a pause, as the activity's retry would.
      onRetry();
      if (tries >= 12) throw new Error(`invoice ${invoiceId}: ${resolution.message}`);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    if (resolution.kind !== 'record' || !['paid', 'failed', 'requires_auth'].includes(resolution.entry.status)) {
      throw new Error(`invoice ${invoiceId}: the bench's sequential loop does not handle '${resolution.kind === 'record' ? resolution.entry.status : resolution.kind}'`);
    }
    const { update, entry } = resolution;
    await withTransaction(deps.db, (tx) => resolveAttempt(tx, { ...update, invoiceId, attemptNumber: attempt.attemptNumber, now: deps.clock() }));
    return entry;
  }
}
