/** SQL for decline-aware retries: which failed invoices are due again, and the counts the limits need. */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Db, InvoiceRef, Tx } from './invoices';

/** Attempts that reached Stripe (they have a key) and were not proven uncharged. */
const CHARGE_ATTEMPT = "idempotency_key IS NOT NULL AND outcome <> 'released'";

export async function countChargeAttempts(conn: Db | Tx, invoiceId: number): Promise<number> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM payment_attempt WHERE invoice_id = ? AND ${CHARGE_ATTEMPT}`,
    [invoiceId],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function countCardAttemptsSince(conn: Db | Tx, paymentMethodId: string, since: Date): Promise<number> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM payment_attempt
      WHERE stripe_payment_method_id = ? AND started_at >= ? AND ${CHARGE_ATTEMPT}`,
    [paymentMethodId, since],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Failed invoices due for another attempt: their retry time has come, or the customer now has a
 * different payment method on file than the one that failed.
 */
export async function listRetryDueInvoices(db: Db, q: { asOf: Date; afterId: number; limit: number }): Promise<InvoiceRef[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT i.id, i.amount_cents, i.currency FROM invoice i
       LEFT JOIN customer c ON c.id = i.customer_id
      WHERE i.status = 'failed' AND i.id > ?
        AND (i.next_attempt_at <= ?
             OR (i.failed_payment_method_id IS NOT NULL
                 AND c.stripe_payment_method_id IS NOT NULL
                 AND c.stripe_payment_method_id <> i.failed_payment_method_id))
      ORDER BY i.id LIMIT ?`,
    [q.afterId, q.asOf, q.limit],
  );
  return rows.map((r) => ({ id: Number(r.id), amountCents: r.amount_cents === null ? null : Number(r.amount_cents), currency: String(r.currency) }));
}

/** The card's retry limit is reached: try this invoice again later, still failed meanwhile. */
export async function postponeRetry(tx: Tx, invoiceId: number, until: Date): Promise<void> {
  await tx.query<ResultSetHeader>(
    "UPDATE invoice SET next_attempt_at = ? WHERE id = ? AND status = 'failed'",
    [until, invoiceId],
  );
}
