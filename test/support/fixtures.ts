/** Rows for tests, written with the same parameterised SQL style as the product. */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type Stripe from 'stripe';
import { createStripeCustomer } from '../../dev/demo/stripe-customers';
import type { Pool } from '../../src/db/pool';

export const PAST = new Date('2026-01-15T00:00:00Z');
export const FUTURE = new Date('2099-01-01T00:00:00Z');

export async function insertCustomer(db: Pool, ids: { stripeCustomerId: string | null; stripePaymentMethodId: string | null }): Promise<number> {
  const [res] = await db.query<ResultSetHeader>(
    'INSERT INTO customer (stripe_customer_id, stripe_payment_method_id) VALUES (?, ?)',
    [ids.stripeCustomerId, ids.stripePaymentMethodId],
  );
  return res.insertId;
}

/** A customer row backed by a Stripe (simulator) customer with `testPaymentMethod` attached. */
export async function insertStripeCustomer(db: Pool, stripe: Stripe, testPaymentMethod: string): Promise<number> {
  const { customerId, paymentMethodId } = await createStripeCustomer(stripe, testPaymentMethod, `${testPaymentMethod}@example.test`);
  return insertCustomer(db, { stripeCustomerId: customerId, stripePaymentMethodId: paymentMethodId });
}

export interface InvoiceSeed {
  customerId: number | null;
  amountCents?: number | null;
  currency?: string;
  dueDate?: Date | null;
  status?: string;
}

export async function insertInvoice(db: Pool, seed: InvoiceSeed): Promise<number> {
  const [res] = await db.query<ResultSetHeader>(
    'INSERT INTO invoice (customer_id, status, due_date, amount_cents, currency) VALUES (?, ?, ?, ?, ?)',
    [seed.customerId, seed.status ?? 'pending', seed.dueDate === undefined ? PAST : seed.dueDate,
      seed.amountCents === undefined ? 5000 : seed.amountCents, seed.currency ?? 'usd'],
  );
  return res.insertId;
}

export async function invoiceRow(db: Pool, id: number): Promise<RowDataPacket> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM invoice WHERE id = ?', [id]);
  if (!rows[0]) throw new Error(`invoice ${id} not found`);
  return rows[0];
}

export async function attemptRows(db: Pool, invoiceId: number): Promise<RowDataPacket[]> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT * FROM payment_attempt WHERE invoice_id = ? ORDER BY attempt_number', [invoiceId]);
  return rows;
}
