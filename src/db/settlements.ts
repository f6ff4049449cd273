/**
 * Webhook SQL: the stored Stripe events, and finding the invoice a PaymentIntent belongs to.
 * Settling the invoice itself is a transition (transitions.ts).
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { dateOrNull, date, int, text, textOrNull, type Db, type Row, type Tx } from './sql';

// ---------------------------------------------------------------------------------------------
// stripe_event: stored once by id, before anything acts on it.

export interface StoredStripeEvent {
  id: string;
  type: string;
  paymentIntentId: string | null;
  payload: string;
  receivedAt: Date;
  processedAt: Date | null;
  result: string | null;
}

/**
 * Stores an event unless its id is already stored (a duplicate delivery keeps the first copy).
 * `processedAt` set: the event is stored as already handled (a type we do not act on).
 * Returns true when this call inserted the row.
 */
export async function storeStripeEvent(
  db: Db,
  e: { id: string; type: string; paymentIntentId: string | null; payload: string; receivedAt: Date; processedAt?: Date; result?: string },
): Promise<boolean> {
  const [res] = await db.query<ResultSetHeader>(
    `INSERT IGNORE INTO stripe_event (id, type, payment_intent_id, payload, received_at, processed_at, result)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [e.id, e.type, e.paymentIntentId, e.payload, e.receivedAt, e.processedAt ?? null, e.result ?? null],
  );
  return res.affectedRows === 1;
}

export async function loadStripeEvent(conn: Db | Tx, id: string, lock = false): Promise<StoredStripeEvent | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT id, type, payment_intent_id, payload, received_at, processed_at, result
       FROM stripe_event WHERE id = ?${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: text(r.id),
    type: text(r.type),
    paymentIntentId: textOrNull(r.payment_intent_id),
    payload: text(r.payload),
    receivedAt: date(r.received_at),
    processedAt: dateOrNull(r.processed_at),
    result: textOrNull(r.result),
  };
}

/** Marks an event handled, once: a second call (a retried activity) changes nothing. */
export async function markStripeEventProcessed(conn: Db | Tx, id: string, at: Date, result: string): Promise<boolean> {
  const [res] = await conn.query<ResultSetHeader>(
    'UPDATE stripe_event SET processed_at = ?, result = ? WHERE id = ? AND processed_at IS NULL',
    [at, result.slice(0, 255), id],
  );
  return res.affectedRows === 1;
}

/** Stored events not processed yet (oldest first): their processing may have been lost or given up. */
export async function listUnprocessedStripeEvents(db: Db, limit: number): Promise<Array<{ id: string; type: string }>> {
  const [rows] = await db.query<Row[]>(
    'SELECT id, type FROM stripe_event WHERE processed_at IS NULL ORDER BY received_at, id LIMIT ?',
    [limit],
  );
  return rows.map((r) => ({ id: text(r.id), type: text(r.type) }));
}

// ---------------------------------------------------------------------------------------------
// Finding the invoice a PaymentIntent belongs to.

/** Invoices whose recorded PaymentIntent is this one (at most one in practice). */
export async function findInvoiceIdsByPaymentIntent(conn: Db | Tx, paymentIntentId: string): Promise<number[]> {
  const [rows] = await conn.query<Row[]>(
    'SELECT id FROM invoice WHERE stripe_payment_intent_id = ? ORDER BY id',
    [paymentIntentId],
  );
  return rows.map((r) => int(r.id));
}

/** Attempts that recorded this PaymentIntent. */
export async function findAttemptsByPaymentIntent(conn: Db | Tx, paymentIntentId: string): Promise<Array<{ invoiceId: number; attemptNumber: number }>> {
  const [rows] = await conn.query<Row[]>(
    'SELECT invoice_id, attempt_number FROM payment_attempt WHERE stripe_payment_intent_id = ? ORDER BY invoice_id, attempt_number',
    [paymentIntentId],
  );
  return rows.map((r) => ({ invoiceId: int(r.invoice_id), attemptNumber: int(r.attempt_number) }));
}

/** The attempt of this invoice that sent this idempotency key (the PaymentIntent's metadata.attempt_key). */
export async function findAttemptByKey(conn: Db | Tx, invoiceId: number, idempotencyKey: string): Promise<number | undefined> {
  const [rows] = await conn.query<Row[]>(
    'SELECT attempt_number FROM payment_attempt WHERE invoice_id = ? AND idempotency_key = ?',
    [invoiceId, idempotencyKey],
  );
  return rows[0] ? int(rows[0].attempt_number) : undefined;
}
