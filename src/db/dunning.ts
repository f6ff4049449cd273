/** SQL for decline-aware retries: the counts the retry limits need (due retries are listed in invoices.ts). */
import { int, type Db, type Row, type Tx } from './sql';

/** Attempts that reached Stripe (they have a key) and were not proven uncharged. */
const CHARGE_ATTEMPT = "idempotency_key IS NOT NULL AND outcome <> 'released'";

export async function countChargeAttempts(conn: Db | Tx, invoiceId: number): Promise<number> {
  const [rows] = await conn.query<Row[]>(
    `SELECT COUNT(*) AS n FROM payment_attempt WHERE invoice_id = ? AND ${CHARGE_ATTEMPT}`,
    [invoiceId],
  );
  return int(rows[0]?.n ?? 0);
}

export async function countCardAttemptsSince(conn: Db | Tx, paymentMethodId: string, since: Date): Promise<number> {
  const [rows] = await conn.query<Row[]>(
    `SELECT COUNT(*) AS n FROM payment_attempt
      WHERE stripe_payment_method_id = ? AND started_at >= ? AND ${CHARGE_ATTEMPT}`,
    [paymentMethodId, since],
  );
  return int(rows[0]?.n ?? 0);
}
