/**
 * Webhook settlement SQL: the stored Stripe events, and the statements that settle an invoice
 * from an asynchronous PaymentIntent outcome. Every status change names the states it moves from
 * and the attempt that must still be the invoice's current one, so a late, duplicate or
 * out-of-order event can never move an invoice backwards (src/billing/invoice-state.ts).
 */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { InvoiceStatus } from '../billing/invoice-state';
import type { Db, Tx } from './invoices';

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
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT id, type, payment_intent_id, payload, received_at, processed_at, result
       FROM stripe_event WHERE id = ?${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: String(r.id),
    type: String(r.type),
    paymentIntentId: r.payment_intent_id as string | null,
    payload: String(r.payload),
    receivedAt: r.received_at as Date,
    processedAt: r.processed_at as Date | null,
    result: r.result as string | null,
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
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT id, type FROM stripe_event WHERE processed_at IS NULL ORDER BY received_at, id LIMIT ?',
    [limit],
  );
  return rows.map((r) => ({ id: String(r.id), type: String(r.type) }));
}

// ---------------------------------------------------------------------------------------------
// Finding the invoice a PaymentIntent belongs to.

/** Invoices whose recorded PaymentIntent is this one (at most one in practice). */
export async function findInvoiceIdsByPaymentIntent(conn: Db | Tx, paymentIntentId: string): Promise<number[]> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT id FROM invoice WHERE stripe_payment_intent_id = ? ORDER BY id',
    [paymentIntentId],
  );
  return rows.map((r) => Number(r.id));
}

/** Attempts that recorded this PaymentIntent. */
export async function findAttemptsByPaymentIntent(conn: Db | Tx, paymentIntentId: string): Promise<Array<{ invoiceId: number; attemptNumber: number }>> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT invoice_id, attempt_number FROM payment_attempt WHERE stripe_payment_intent_id = ? ORDER BY invoice_id, attempt_number',
    [paymentIntentId],
  );
  return rows.map((r) => ({ invoiceId: Number(r.invoice_id), attemptNumber: Number(r.attempt_number) }));
}

/** The attempt of this invoice that sent this idempotency key (the PaymentIntent's metadata.attempt_key). */
export async function findAttemptByKey(conn: Db | Tx, invoiceId: number, idempotencyKey: string): Promise<number | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    'SELECT attempt_number FROM payment_attempt WHERE invoice_id = ? AND idempotency_key = ?',
    [invoiceId, idempotencyKey],
  );
  return rows[0] ? Number(rows[0].attempt_number) : undefined;
}

export interface AttemptForSettlement {
  attemptNumber: number;
  idempotencyKey: string | null;
  stripePaymentIntentId: string | null;
  stripePaymentMethodId: string | null;
  outcome: string;
}

export async function loadAttempt(conn: Db | Tx, invoiceId: number, attemptNumber: number): Promise<AttemptForSettlement | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT attempt_number, idempotency_key, stripe_payment_intent_id, stripe_payment_method_id, outcome
       FROM payment_attempt WHERE invoice_id = ? AND attempt_number = ?`,
    [invoiceId, attemptNumber],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    attemptNumber: Number(r.attempt_number),
    idempotencyKey: r.idempotency_key as string | null,
    stripePaymentIntentId: r.stripe_payment_intent_id as string | null,
    stripePaymentMethodId: r.stripe_payment_method_id as string | null,
    outcome: String(r.outcome),
  };
}

// ---------------------------------------------------------------------------------------------
// Settling.

/** The states a succeeded PaymentIntent settles as paid; `paid` and `void` are never touched. */
export const SETTLE_PAID_FROM = ['requires_auth', 'processing', 'failed'] as const satisfies readonly InvoiceStatus[];
/** The states a failed PaymentIntent moves to failed; a `failed` invoice stays as it is. */
export const SETTLE_FAILED_FROM = ['requires_auth', 'processing'] as const satisfies readonly InvoiceStatus[];

/** Attempt outcomes a settlement may overwrite (never `paid`, `skipped` or `released`). */
const ATTEMPT_PAID_FROM = ['in_flight', 'processing', 'requires_auth', 'failed'];
const ATTEMPT_FAILED_FROM = ['in_flight', 'processing', 'requires_auth'];

export interface PaidSettlement {
  invoiceId: number;
  /** The invoice's attempt_count the settlement was decided on: its current attempt. */
  attemptCount: number;
  from: (typeof SETTLE_PAID_FROM)[number];
  paymentIntentId: string;
  now: Date;
}

/**
 * requires_auth | processing | failed → paid: paid_at and the PaymentIntent recorded; the claim,
 * the failure, the dunning plan and the authentication deadline cleared. The attempt that owns the
 * PaymentIntent records `paid`.
 */
export async function settleInvoicePaid(tx: Tx, s: PaidSettlement): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = 'paid', paid_at = ?, stripe_payment_intent_id = ?,
            failure_code = NULL, decline_code = NULL, failure_message = NULL,
            claim_run_id = NULL, claimed_at = NULL, lease_expires_at = NULL,
            next_attempt_at = NULL, first_failed_at = NULL, failed_payment_method_id = NULL,
            dunning_stopped_reason = NULL, auth_expires_at = NULL
      WHERE id = ? AND status = ? AND status IN (?) AND attempt_count = ?`,
    [s.now, s.paymentIntentId, s.invoiceId, s.from, SETTLE_PAID_FROM, s.attemptCount],
  );
  if (res.affectedRows !== 1) return false;
  if (s.attemptCount > 0) {
    await tx.query<ResultSetHeader>(
      `UPDATE payment_attempt
          SET outcome = 'paid', stripe_payment_intent_id = ?,
              failure_code = NULL, decline_code = NULL, failure_message = NULL, finished_at = ?
        WHERE invoice_id = ? AND attempt_number = ? AND outcome IN (?)`,
      [s.paymentIntentId, s.now, s.invoiceId, s.attemptCount, ATTEMPT_PAID_FROM],
    );
  }
  return true;
}

export interface FailedSettlement {
  invoiceId: number;
  attemptCount: number;
  from: (typeof SETTLE_FAILED_FROM)[number];
  paymentIntentId: string;
  failure: { code: string; declineCode?: string; message: string };
  /** The retry plan, as a charge's own failure writes it (next_attempt_at NULL: no automatic retry). */
  dunning: { nextAttemptAt: Date | null; firstFailedAt: Date; failedPaymentMethodId: string | null; stoppedReason: string | null };
  now: Date;
}

/**
 * requires_auth | processing → failed, with the decline and the dunning plan; the claim and the
 * authentication deadline cleared. Never over `paid`; a `failed` invoice keeps its first failure.
 */
export async function settleInvoiceFailed(tx: Tx, s: FailedSettlement): Promise<boolean> {
  const message = truncate(s.failure.message);
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = 'failed', stripe_payment_intent_id = ?,
            failure_code = ?, decline_code = ?, failure_message = ?,
            claim_run_id = NULL, claimed_at = NULL, lease_expires_at = NULL,
            next_attempt_at = ?, first_failed_at = ?, failed_payment_method_id = ?, dunning_stopped_reason = ?,
            auth_expires_at = NULL
      WHERE id = ? AND status = ? AND status IN (?) AND attempt_count = ?`,
    [
      s.paymentIntentId, s.failure.code, s.failure.declineCode ?? null, message,
      s.dunning.nextAttemptAt, s.dunning.firstFailedAt, s.dunning.failedPaymentMethodId, s.dunning.stoppedReason,
      s.invoiceId, s.from, SETTLE_FAILED_FROM, s.attemptCount,
    ],
  );
  if (res.affectedRows !== 1) return false;
  if (s.attemptCount > 0) {
    await tx.query<ResultSetHeader>(
      `UPDATE payment_attempt
          SET outcome = 'failed', stripe_payment_intent_id = ?,
              failure_code = ?, decline_code = ?, failure_message = ?, finished_at = ?
        WHERE invoice_id = ? AND attempt_number = ? AND outcome IN (?)`,
      [s.paymentIntentId, s.failure.code, s.failure.declineCode ?? null, message, s.now, s.invoiceId, s.attemptCount, ATTEMPT_FAILED_FROM],
    );
  }
  return true;
}

function truncate(message: string): string {
  return message.length > 1000 ? `${message.slice(0, 997)}...` : message;
}
