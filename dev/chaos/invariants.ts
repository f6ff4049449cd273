/**
 * The money invariants, checked after a scenario from the simulator's ledger (what Stripe
 * charged), the database (what we recorded) and the runs' summaries (what we reported):
 *   - every paid invoice has exactly one succeeded charge, and it is the PaymentIntent we stored;
 *   - no charge exists for an invoice that is not paid;
 *   - no invoice is processing and no attempt is in flight once recovery ran;
 *   - payment_attempt agrees with both; each invoice ends as its payment method dictates;
 *   - the runs' summaries agree with the database.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { LedgerEntry } from '../stripe-simulator';
import type { Pool } from '../../src/db/pool';
import { expectedStatus, type SeededInvoice } from './data-set';
import type { RunRecord } from './runs';

export interface InvariantReport {
  invoices: number;
  /** Invoices with more than one succeeded charge. */
  doubleCharges: number;
  /** Invoices whose recorded or reported outcome disagrees with Stripe or with what must happen. */
  lostOutcomes: number;
  /** Invoices still processing, or with an attempt still in flight, after recovery. */
  stuckInvoices: number;
  /** One line per violation, for the assertion message. */
  problems: string[];
}

interface InvoiceState {
  status: string;
  paymentIntentId: string | null;
  amountCents: number | null;
  currency: string;
}

interface AttemptState {
  invoiceId: number;
  key: string | null;
  outcome: string;
  paymentIntentId: string | null;
  runId: string;
}

async function loadState(db: Pool): Promise<{ invoices: Map<number, InvoiceState>; attempts: Map<number, AttemptState[]> }> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT id, status, stripe_payment_intent_id, amount_cents, currency FROM invoice');
  const invoices = new Map<number, InvoiceState>(rows.map((r) => [Number(r.id), {
    status: String(r.status),
    paymentIntentId: r.stripe_payment_intent_id as string | null,
    amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
    currency: String(r.currency),
  }]));
  const [attemptRows] = await db.query<RowDataPacket[]>(
    'SELECT invoice_id, idempotency_key, outcome, stripe_payment_intent_id, run_id FROM payment_attempt ORDER BY invoice_id, attempt_number',
  );
  const attempts = new Map<number, AttemptState[]>();
  for (const r of attemptRows) {
    const invoiceId = Number(r.invoice_id);
    const list = attempts.get(invoiceId) ?? [];
    list.push({ invoiceId, key: r.idempotency_key as string | null, outcome: String(r.outcome), paymentIntentId: r.stripe_payment_intent_id as string | null, runId: String(r.run_id) });
    attempts.set(invoiceId, list);
  }
  return { invoices, attempts };
}

export async function checkInvariants(db: Pool, ledger: LedgerEntry[], seeded: SeededInvoice[], runs: RunRecord[]): Promise<InvariantReport> {
  const { invoices, attempts } = await loadState(db);
  const charges = new Map<string, LedgerEntry[]>();
  for (const entry of ledger) {
    const key = entry.metadata.invoice_id ?? '(none)';
    charges.set(key, [...(charges.get(key) ?? []), entry]);
  }
  const double = new Set<number>();
  const lost = new Set<number>();
  const stuck = new Set<number>();
  const problems: string[] = [];
  const flag = (set: Set<number>, id: number, what: string) => {
    set.add(id);
    if (problems.length < 50) problems.push(`invoice ${id}: ${what}`);
  };

  for (const seed of seeded) {
    const id = seed.id;
    const row = invoices.get(id);
    const its = charges.get(String(id)) ?? [];
    const tries = attempts.get(id) ?? [];
    if (!row) {
      flag(lost, id, 'invoice row vanished');
      continue;
    }
    if (its.length > 1) flag(double, id, `${its.length} succeeded charges (${its.map((c) => c.paymentIntentId).join(', ')})`);
    if (row.status === 'processing') flag(stuck, id, 'still processing after recovery');
    if (tries.some((a) => a.outcome === 'in_flight')) flag(stuck, id, 'an attempt is still in flight after recovery');

    if (row.status === 'paid') {
      const charge = its[0];
      const paidAttempts = tries.filter((a) => a.outcome === 'paid');
      if (!charge) flag(lost, id, 'paid in the database but Stripe has no succeeded charge');
      else {
        if (charge.paymentIntentId !== row.paymentIntentId) flag(lost, id, `stored PaymentIntent ${row.paymentIntentId} is not the charge ${charge.paymentIntentId}`);
        if (charge.amount !== row.amountCents || charge.currency !== row.currency) flag(lost, id, `charged ${charge.amount} ${charge.currency}, invoice says ${row.amountCents} ${row.currency}`);
        if (paidAttempts.length !== 1 || paidAttempts[0].key !== charge.idempotencyKey) {
          flag(lost, id, `payment_attempt disagrees: ${paidAttempts.length} paid attempts, charge key ${charge.idempotencyKey ?? '-'}`);
        }
      }
    } else if (its.length > 0) {
      flag(lost, id, `charged (${its[0].paymentIntentId}) but recorded as ${row.status}`);
    } else if (tries.some((a) => a.outcome === 'paid')) {
      flag(lost, id, `an attempt says paid but the invoice is ${row.status}`);
    }
    const expected = expectedStatus(seed);
    if (row.status !== expected) flag(lost, id, `${seed.profile}: expected ${expected}, found ${row.status}`);
  }

  checkSummaries(runs, invoices, attempts, seeded, lost, problems);
  return { invoices: seeded.length, doubleCharges: double.size, lostOutcomes: lost.size, stuckInvoices: stuck.size, problems };
}

/**
 * Each finished run's summary agrees with the database: what it reports paid is paid with that
 * PaymentIntent, its totals and amounts add up; and every paid invoice was reported by some run
 * (or was paid by a run that was terminated, which reports nothing).
 */
function checkSummaries(
  runs: RunRecord[], invoices: Map<number, InvoiceState>, attempts: Map<number, AttemptState[]>,
  seeded: SeededInvoice[], lost: Set<number>, problems: string[],
): void {
  const flag = (id: number, what: string) => {
    lost.add(id);
    if (problems.length < 50) problems.push(`invoice ${id}: ${what}`);
  };
  const reportedPaid = new Set<number>();
  for (const run of runs) {
    const summary = run.summary;
    if (!summary) continue;
    const amounts: Record<string, number> = {};
    let paid = 0;
    for (const r of summary.results) {
      const row = invoices.get(r.invoice_id);
      if (r.status === 'paid') {
        paid += 1;
        reportedPaid.add(r.invoice_id);
        if (row?.status !== 'paid') flag(r.invoice_id, `${run.workflowId} reported paid, database says ${row?.status ?? 'missing'}`);
        else if (r.payment_intent_id !== row.paymentIntentId) flag(r.invoice_id, `${run.workflowId} reported ${r.payment_intent_id}, database has ${row.paymentIntentId}`);
        // A run that found the invoice paid by another process reports it without an amount.
        if (r.amount_cents !== undefined && r.currency !== undefined) {
          if (row && (r.amount_cents !== row.amountCents || r.currency !== row.currency)) {
            flag(r.invoice_id, `${run.workflowId} reported ${r.amount_cents} ${r.currency}, database says ${row.amountCents} ${row.currency}`);
          }
          amounts[r.currency] = (amounts[r.currency] ?? 0) + r.amount_cents;
        }
      } else if ((r.status === 'requires_auth' || r.status === 'failed') && row?.status !== r.status) {
        flag(r.invoice_id, `${run.workflowId} reported ${r.status}, database says ${row?.status ?? 'missing'}`);
      }
    }
    if (!summary.resultsTruncated) {
      if (summary.totals.paid !== paid) problems.push(`${run.workflowId}: totals.paid ${summary.totals.paid} but ${paid} paid results`);
      if (JSON.stringify(sortKeys(summary.amounts)) !== JSON.stringify(sortKeys(amounts))) {
        problems.push(`${run.workflowId}: amounts ${JSON.stringify(summary.amounts)} but its paid results add up to ${JSON.stringify(amounts)}`);
      }
    }
  }
  const terminated = runs.filter((r) => r.terminated).map((r) => `${r.workflowId}/`);
  const allReported = runs.every((r) => !r.summary?.resultsTruncated);
  for (const { id } of seeded) {
    if (invoices.get(id)?.status !== 'paid' || reportedPaid.has(id) || !allReported) continue;
    const paidBy = (attempts.get(id) ?? []).find((a) => a.outcome === 'paid')?.runId ?? '';
    if (!terminated.some((prefix) => paidBy.startsWith(prefix))) flag(id, `paid (attempt of ${paidBy}) but no run reported it`);
  }
}

function sortKeys(o: Record<string, number>): Array<[string, number]> {
  return Object.entries(o).filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b));
}
