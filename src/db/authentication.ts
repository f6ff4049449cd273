/** SQL for the 3-D Secure follow-up: what to tell, and the expiry of an unfinished authentication. */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { AuthenticationFacts } from '../notify/notification';
import type { Db, Tx } from './invoices';

export interface AuthenticationState extends AuthenticationFacts {
  status: string;
  /** The invoice's current PaymentIntent: a newer attempt replaces the one being followed up. */
  currentPaymentIntentId: string | null;
}

export async function loadAuthenticationState(conn: Db | Tx, invoiceId: number): Promise<AuthenticationState | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT i.id, i.status, i.customer_id, i.amount_cents, i.currency, i.stripe_payment_intent_id,
            i.auth_expires_at, c.stripe_customer_id
       FROM invoice i LEFT JOIN customer c ON c.id = i.customer_id
      WHERE i.id = ?`,
    [invoiceId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    invoiceId: Number(r.id),
    status: String(r.status),
    customerId: r.customer_id === null ? null : Number(r.customer_id),
    stripeCustomerId: r.stripe_customer_id as string | null,
    paymentIntentId: String(r.stripe_payment_intent_id ?? ''),
    currentPaymentIntentId: r.stripe_payment_intent_id as string | null,
    amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
    currency: String(r.currency),
    expiresAt: r.auth_expires_at as Date | null,
  };
}

/** requires_auth → failed (authentication_expired), only for the PaymentIntent being followed up. */
export async function expireAuthentication(tx: Tx, q: { invoiceId: number; paymentIntentId: string; now: Date }): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = 'failed', failure_code = 'authentication_expired', decline_code = NULL,
            failure_message = 'the customer did not complete authentication in time',
            auth_expires_at = NULL, next_attempt_at = NULL, dunning_stopped_reason = 'authentication_expired',
            failed_payment_method_id = (SELECT stripe_payment_method_id FROM payment_attempt
                                         WHERE invoice_id = ? AND stripe_payment_intent_id = ? LIMIT 1)
      WHERE id = ? AND status = 'requires_auth' AND stripe_payment_intent_id = ?`,
    [q.invoiceId, q.paymentIntentId, q.invoiceId, q.paymentIntentId],
  );
  return res.affectedRows === 1;
}
