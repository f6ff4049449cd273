/**
 * The SQL that reads invoices and attempts for a charge: listing pages, and loading one invoice
 * or attempt with its columns narrowed to typed fields. Every write of a status or an outcome
 * is in transitions.ts.
 */
import { isAttemptOutcome, REPORTED_OUTCOMES, type AttemptOutcome } from '../billing/attempt-outcome';
import type { InvoiceForCharge } from '../billing/charge-eligibility';
import { isInvoiceStatus, type InvoiceStatus } from '../billing/invoice-state';
import type { InvoiceRef } from '../shared';
import type { AttemptRecord } from './transitions';
import { date, dateOrNull, flag, int, intOrNull, text, textOrNull, type Db, type Row, type Tx } from './sql';

export interface ClaimedInvoice extends InvoiceForCharge {
  claimRunId: string | null;
  leaseExpiresAt: Date | null;
  stripePaymentIntentId: string | null;
  /** Dunning: when a failed invoice may be charged again, and the card it last failed on. */
  nextAttemptAt: Date | null;
  firstFailedAt: Date | null;
  failedPaymentMethodId: string | null;
  /** Why the last attempt failed or was skipped. */
  failureCode: string | null;
}

/** A stored status this code does not know (written by hand, or by a newer release): never guessed at. */
export class UnknownStateError extends Error {
  constructor(readonly table: 'invoice' | 'payment_attempt', readonly id: string, readonly value: unknown) {
    super(`${table} ${id} has the unknown state '${String(value)}': needs review`);
    this.name = 'UnknownStateError';
  }
}

export function readInvoiceStatus(row: Row): InvoiceStatus {
  if (!isInvoiceStatus(row.status)) throw new UnknownStateError('invoice', String(row.id), row.status);
  return row.status;
}

function readAttemptOutcome(row: Row): AttemptOutcome {
  if (!isAttemptOutcome(row.outcome)) throw new UnknownStateError('payment_attempt', `${String(row.invoice_id)}/${String(row.attempt_number)}`, row.outcome);
  return row.outcome;
}

function toRef(row: Row): InvoiceRef {
  return { id: int(row.id), amountCents: intOrNull(row.amount_cents), currency: text(row.currency), customerId: intOrNull(row.customer_id) };
}

/**
 * Only the service's own states, byte for byte: under a case-insensitive collation `status =
 * 'pending'` also matches 'PENDING', which the service leaves alone (docs/adoption.md). The
 * equality still narrows the index range; this only filters within it.
 */
const EXACT_STATUS = (column: string, state: 'pending' | 'failed') => `${column} = '${state}' AND CAST(${column} AS BINARY) = '${state}'`;

/**
 * Keyset page of due invoices in (due_date, id) order, served by the index (status, due_date, id)
 * as one range that stops after `limit` entries, however many invoices are paid or not yet due.
 * The cursor stays the last listed id (the workflow's contract): its due_date is looked up by
 * primary key. Invoices without a due date come first (NULL sorts first in the index), so that
 * each run reports them (skipped: no_due_date) instead of never.
 */
export async function listDueInvoices(db: Db, q: { asOf: Date; afterId: number; limit: number }): Promise<InvoiceRef[]> {
  let after: { dueDate: Date | null; id: number } = { dueDate: null, id: 0 };
  if (q.afterId > 0) {
    const [cursor] = await db.query<Row[]>('SELECT due_date FROM invoice WHERE id = ?', [q.afterId]);
    // A cursor row deleted meanwhile: start over; listing an invoice twice is harmless (the claim decides).
    after = { dueDate: cursor[0] ? dateOrNull(cursor[0].due_date) : null, id: cursor[0] ? q.afterId : 0 };
  }
  const refs: InvoiceRef[] = [];
  if (after.dueDate === null) {
    const [undated] = await db.query<Row[]>(
      `SELECT id, amount_cents, currency, customer_id FROM invoice
        WHERE ${EXACT_STATUS('status', 'pending')} AND due_date IS NULL AND id > ?
        ORDER BY id LIMIT ?`,
      [after.id, q.limit],
    );
    refs.push(...undated.map(toRef));
    if (refs.length >= q.limit) return refs;
  }
  const [dated] = after.dueDate === null
    ? await db.query<Row[]>(
      `SELECT id, amount_cents, currency, customer_id FROM invoice
        WHERE ${EXACT_STATUS('status', 'pending')} AND due_date <= ?
        ORDER BY due_date, id LIMIT ?`,
      [q.asOf, q.limit - refs.length],
    )
    : await db.query<Row[]>(
      `SELECT id, amount_cents, currency, customer_id FROM invoice
        WHERE ${EXACT_STATUS('status', 'pending')} AND due_date <= ?
          AND (due_date > ? OR (due_date = ? AND id > ?))
        ORDER BY due_date, id LIMIT ?`,
      [q.asOf, after.dueDate, after.dueDate, after.id, q.limit],
    );
  refs.push(...dated.map(toRef));
  return refs;
}

/** A `processing` invoice with its claim: who holds it, since when, until when. */
export interface ProcessingClaim extends InvoiceRef {
  claimRunId: string | null;
  claimedAt: Date | null;
  leaseExpiresAt: Date | null;
}

/** Every claimed invoice in id order (few: at most the charges in flight of the open runs). */
export async function listProcessingClaims(db: Db, q: { afterId: number; limit: number }): Promise<ProcessingClaim[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT id, amount_cents, currency, customer_id, claim_run_id, claimed_at, lease_expires_at FROM invoice
      WHERE status = 'processing' AND id > ?
      ORDER BY id LIMIT ?`,
    [q.afterId, q.limit],
  );
  return rows.map((r) => ({
    ...toRef(r), claimRunId: textOrNull(r.claim_run_id), claimedAt: dateOrNull(r.claimed_at), leaseExpiresAt: dateOrNull(r.lease_expires_at),
  }));
}

/**
 * Failed invoices due for another attempt: their retry time has come, or the customer now has a
 * different payment method on file than the one that failed.
 */
export async function listRetryDueInvoices(db: Db, q: { asOf: Date; afterId: number; limit: number }): Promise<InvoiceRef[]> {
  // Two branches, not an OR: the OR stops the index (status, next_attempt_at, id) from narrowing
  // by retry time. The second excludes what the first lists, so UNION ALL lists each invoice once;
  // it finds ids in the covering index idx_invoice_status_failed_card (migration 003).
  const [rows] = await db.query<Row[]>(
    `SELECT id, amount_cents, currency, customer_id FROM (
       (SELECT i.id, i.amount_cents, i.currency, i.customer_id FROM invoice i
         WHERE ${EXACT_STATUS('i.status', 'failed')}
           AND i.next_attempt_at <= ? AND i.id > ?
         ORDER BY i.id LIMIT ?)
       UNION ALL
       (SELECT i.id, i.amount_cents, i.currency, i.customer_id FROM invoice i
          JOIN (SELECT f.id FROM invoice f
                  JOIN customer c ON c.id = f.customer_id
                 WHERE ${EXACT_STATUS('f.status', 'failed')} AND f.id > ?
                   AND (f.next_attempt_at IS NULL OR f.next_attempt_at > ?)
                   AND f.failed_payment_method_id IS NOT NULL
                   AND c.stripe_payment_method_id IS NOT NULL
                   AND c.stripe_payment_method_id <> f.failed_payment_method_id
                 ORDER BY f.id LIMIT ?) changed ON changed.id = i.id)
     ) due ORDER BY id LIMIT ?`,
    [q.asOf, q.afterId, q.limit, q.afterId, q.asOf, q.limit, q.limit],
  );
  return rows.map(toRef);
}

/** Reads an invoice with its customer; `lock` takes the invoice row for the transaction. */
export async function loadInvoice(conn: Db | Tx, invoiceId: number, lock: boolean): Promise<ClaimedInvoice | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT id, status, due_date, amount_cents, currency, attempt_count, customer_id,
            claim_run_id, lease_expires_at, stripe_payment_intent_id,
            next_attempt_at, first_failed_at, failed_payment_method_id, failure_code
       FROM invoice WHERE id = ?${lock ? ' FOR UPDATE' : ''}`,
    [invoiceId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const customerId = intOrNull(row.customer_id);
  let customer: ClaimedInvoice['customer'];
  if (customerId !== null) {
    const [customers] = await conn.query<Row[]>(
      'SELECT stripe_customer_id, stripe_payment_method_id FROM customer WHERE id = ?',
      [customerId],
    );
    const c = customers[0];
    if (c) customer = { stripeCustomerId: textOrNull(c.stripe_customer_id), stripePaymentMethodId: textOrNull(c.stripe_payment_method_id) };
  }
  return {
    id: int(row.id),
    status: readInvoiceStatus(row),
    dueDate: dateOrNull(row.due_date),
    // BIGINT arrives as a number when it fits; DECIMAL-like strings would be rejected later.
    amountCents: row.amount_cents as unknown,
    currency: row.currency as unknown,
    attemptCount: int(row.attempt_count),
    customerId,
    customer,
    claimRunId: textOrNull(row.claim_run_id),
    leaseExpiresAt: dateOrNull(row.lease_expires_at),
    stripePaymentIntentId: textOrNull(row.stripe_payment_intent_id),
    nextAttemptAt: dateOrNull(row.next_attempt_at),
    firstFailedAt: dateOrNull(row.first_failed_at),
    failedPaymentMethodId: textOrNull(row.failed_payment_method_id),
    failureCode: textOrNull(row.failure_code),
  };
}

const ATTEMPT_COLUMNS = `invoice_id, attempt_number, is_retry, idempotency_key, stripe_customer_id, stripe_payment_method_id,
            stripe_payment_intent_id, amount_cents, currency, outcome, run_id, started_at, card_fingerprint, card_network`;

function toAttempt(r: Row): AttemptRecord {
  return {
    invoiceId: int(r.invoice_id),
    attemptNumber: int(r.attempt_number),
    isRetry: flag(r.is_retry),
    idempotencyKey: textOrNull(r.idempotency_key),
    stripeCustomerId: textOrNull(r.stripe_customer_id),
    stripePaymentMethodId: textOrNull(r.stripe_payment_method_id),
    stripePaymentIntentId: textOrNull(r.stripe_payment_intent_id),
    amountCents: intOrNull(r.amount_cents),
    currency: textOrNull(r.currency),
    outcome: readAttemptOutcome(r),
    claimRunId: text(r.run_id),
    startedAt: date(r.started_at),
    cardFingerprint: textOrNull(r.card_fingerprint),
    cardNetwork: textOrNull(r.card_network),
  };
}

export async function loadLatestAttempt(conn: Db | Tx, invoiceId: number): Promise<AttemptRecord | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT ${ATTEMPT_COLUMNS} FROM payment_attempt WHERE invoice_id = ? ORDER BY attempt_number DESC LIMIT 1`,
    [invoiceId],
  );
  return rows[0] ? toAttempt(rows[0]) : undefined;
}

/** One attempt of an invoice (the webhook settles the invoice's current one). */
export async function loadAttempt(conn: Db | Tx, invoiceId: number, attemptNumber: number): Promise<AttemptRecord | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT ${ATTEMPT_COLUMNS} FROM payment_attempt WHERE invoice_id = ? AND attempt_number = ?`,
    [invoiceId, attemptNumber],
  );
  return rows[0] ? toAttempt(rows[0]) : undefined;
}

/** What a run's own finished attempt recorded: a retry of that run's activity reports it again. */
export interface RecordedOutcome {
  outcome: (typeof REPORTED_OUTCOMES)[number];
  paymentIntentId: string | null;
  failureMessage: string | null;
  amountCents: number | null;
  currency: string | null;
  isRetry: boolean;
}

/** The outcome `claimRunId` recorded for the invoice's attempt `attemptNumber`, if that run made it and it ended. */
export async function loadOwnRecordedOutcome(
  conn: Db | Tx, q: { invoiceId: number; attemptNumber: number; claimRunId: string },
): Promise<RecordedOutcome | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT invoice_id, attempt_number, outcome, stripe_payment_intent_id, failure_message, amount_cents, currency, is_retry
       FROM payment_attempt
      WHERE invoice_id = ? AND attempt_number = ? AND run_id = ? AND outcome IN (?)`,
    [q.invoiceId, q.attemptNumber, q.claimRunId, REPORTED_OUTCOMES],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    outcome: readAttemptOutcome(r) as RecordedOutcome['outcome'],
    paymentIntentId: textOrNull(r.stripe_payment_intent_id),
    failureMessage: textOrNull(r.failure_message),
    amountCents: intOrNull(r.amount_cents),
    currency: textOrNull(r.currency),
    isRetry: flag(r.is_retry),
  };
}
