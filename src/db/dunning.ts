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
 * different payment method on file than the one that failed. The two conditions are separate
 * branches (an OR across them stops the index (status, next_attempt_at, id) from narrowing by
 * retry time); the second excludes what the first lists, so UNION ALL lists each invoice once.
 * The second branch finds ids in the covering index idx_invoice_status_failed_card (migration 003)
 * and reads invoice rows only for the page. Only exactly 'failed' rows (see EXACT_STATUS in invoices.ts).
 */
export async function listRetryDueInvoices(db: Db, q: { asOf: Date; afterId: number; limit: number }): Promise<InvoiceRef[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT id, amount_cents, currency FROM (
       (SELECT i.id, i.amount_cents, i.currency FROM invoice i
         WHERE i.status = 'failed' AND CAST(i.status AS BINARY) = 'failed'
           AND i.next_attempt_at <= ? AND i.id > ?
         ORDER BY i.id LIMIT ?)
       UNION ALL
       (SELECT i.id, i.amount_cents, i.currency FROM invoice i
          JOIN (SELECT f.id FROM invoice f
                  JOIN customer c ON c.id = f.customer_id
                 WHERE f.status = 'failed' AND CAST(f.status AS BINARY) = 'failed' AND f.id > ?
                   AND (f.next_attempt_at IS NULL OR f.next_attempt_at > ?)
                   AND f.failed_payment_method_id IS NOT NULL
                   AND c.stripe_payment_method_id IS NOT NULL
                   AND c.stripe_payment_method_id <> f.failed_payment_method_id
                 ORDER BY f.id LIMIT ?) changed ON changed.id = i.id)
     ) due ORDER BY id LIMIT ?`,
    [q.asOf, q.afterId, q.limit, q.afterId, q.asOf, q.limit, q.limit],
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
