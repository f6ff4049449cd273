/**
 * Reads for the worker's metrics (src/metrics/): small, index-served, and capped, so a scrape
 * stays cheap however large the invoice table or a backlog grows.
 */
import type { Db, Row } from './sql';
import { int, textOrNull } from './sql';

/** Counts above this are reported as this: an alert only needs to know "many". */
export const GAUGE_COUNT_CAP = 10_000;

export interface InvoiceHealthCounts {
  /** 'processing' whose claim lease has expired: recovery has not taken them over yet. */
  processingStale: number;
  /** 'requires_auth': a 3-D Secure follow-up waits for the customer. */
  awaitingAuthentication: number;
  /** 'pending', due, and the customer has a payment method: what the next run would charge. */
  duePending: number;
}

/**
 * One round trip; each count is a range of an index on (status, …) that stops at the cap.
 * 'pending' is matched exactly, as the due listing does (an adopted table's collation may be ci);
 * due invoices without a payment method are left out: runs skip them, they stay due for ever.
 */
export async function invoiceHealthCounts(db: Db, now: Date): Promise<InvoiceHealthCounts> {
  const [rows] = await db.query<Row[]>(
    `SELECT
       (SELECT COUNT(*) FROM (SELECT 1 FROM invoice WHERE status = 'processing' AND lease_expires_at < ? LIMIT ?) s) AS processing_stale,
       (SELECT COUNT(*) FROM (SELECT 1 FROM invoice WHERE status = 'requires_auth' LIMIT ?) a) AS awaiting_auth,
       (SELECT COUNT(*) FROM (SELECT 1 FROM invoice i JOIN customer c ON c.id = i.customer_id
          WHERE i.status = 'pending' AND CAST(i.status AS BINARY) = 'pending' AND i.due_date <= ?
            AND c.stripe_payment_method_id IS NOT NULL LIMIT ?) d) AS due_pending`,
    [now, GAUGE_COUNT_CAP, GAUGE_COUNT_CAP, now, GAUGE_COUNT_CAP],
  );
  const row = rows[0];
  return {
    processingStale: int(row?.processing_stale ?? 0),
    awaitingAuthentication: int(row?.awaiting_auth ?? 0),
    duePending: int(row?.due_pending ?? 0),
  };
}

/** The codes Stripe gave for one attempt (its row is written before the run sees the outcome). */
export async function attemptFailureCodes(
  db: Db, invoiceId: number, attemptNumber: number,
): Promise<{ failureCode: string | null; declineCode: string | null } | undefined> {
  const [rows] = await db.query<Row[]>(
    'SELECT failure_code, decline_code FROM payment_attempt WHERE invoice_id = ? AND attempt_number = ?',
    [invoiceId, attemptNumber],
  );
  const row = rows[0];
  return row && { failureCode: textOrNull(row.failure_code), declineCode: textOrNull(row.decline_code) };
}
