/** SQL for the 3-D Secure follow-up: what to tell the business (the expiry itself is in transitions.ts). */
import type { AuthenticationFacts } from '../billing/authentication';
import { readInvoiceStatus } from './invoices';
import { dateOrNull, int, intOrNull, text, textOrNull, type Db, type Row, type Tx } from './sql';
import type { InvoiceStatus } from '../billing/invoice-state';

export interface AuthenticationState extends AuthenticationFacts {
  status: InvoiceStatus;
  /** The invoice's current PaymentIntent: a newer attempt replaces the one being followed up. */
  currentPaymentIntentId: string | null;
}

export async function loadAuthenticationState(conn: Db | Tx, invoiceId: number): Promise<AuthenticationState | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT i.id, i.status, i.customer_id, i.amount_cents, i.currency, i.stripe_payment_intent_id,
            i.auth_expires_at, c.stripe_customer_id
       FROM invoice i LEFT JOIN customer c ON c.id = i.customer_id
      WHERE i.id = ?`,
    [invoiceId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    invoiceId: int(r.id),
    status: readInvoiceStatus(r),
    customerId: intOrNull(r.customer_id),
    stripeCustomerId: textOrNull(r.stripe_customer_id),
    paymentIntentId: text(r.stripe_payment_intent_id ?? ''),
    currentPaymentIntentId: textOrNull(r.stripe_payment_intent_id),
    amountCents: intOrNull(r.amount_cents),
    currency: text(r.currency),
    expiresAt: dateOrNull(r.auth_expires_at),
  };
}
