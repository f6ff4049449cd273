/** Fast seeding: simulator customers (in process), then multi-row INSERTs of customers and invoices. */
import type { ResultSetHeader } from 'mysql2/promise';
import type { StripeSimulator } from '../dev/stripe-simulator';
import type { Pool } from '../src/db/pool';

/** One customer in this many has a card that declines: their invoices must end `failed`. */
export const DECLINE_EVERY = 20;

export interface Seeded {
  firstId: number;
  lastId: number;
  count: number;
  /** Invoices whose customer's card succeeds (→ paid) or declines (→ failed). */
  expectedPaid: number;
  expectedFailed: number;
}

/**
 * Inserts `count` due invoices (ids consecutive) spread over `customers` customers; every
 * DECLINE_EVERY-th customer has pm_card_chargeDeclined, the others pm_card_visa. With
 * `oneCustomerInvoices`, that many of the `count` belong to one extra customer, consecutively.
 */
export async function seedInvoices(
  db: Pool,
  stripe: StripeSimulator,
  opts: { count: number; customers: number; dueDate: Date; oneCustomerInvoices?: number },
): Promise<Seeded> {
  const customerRows: Array<[string, string]> = [];
  const declines: boolean[] = [];
  for (let c = 0; c < opts.customers; c += 1) {
    const decline = c % DECLINE_EVERY === DECLINE_EVERY - 1;
    const made = stripe.createCustomer({ paymentMethod: decline ? 'pm_card_chargeDeclined' : 'pm_card_visa', email: `bench-${c}@example.test` });
    if (!made.paymentMethodId) throw new Error('simulator created a customer without a payment method');
    customerRows.push([made.customerId, made.paymentMethodId]);
    declines.push(decline);
  }
  const customerIds: number[] = [];
  for (let i = 0; i < customerRows.length; i += 2000) {
    const chunk = customerRows.slice(i, i + 2000);
    const [res] = await db.query<ResultSetHeader>('INSERT INTO customer (stripe_customer_id, stripe_payment_method_id) VALUES ?', [chunk]);
    // InnoDB hands out consecutive ids to one multi-row INSERT (innodb_autoinc_lock_mode default).
    for (let k = 0; k < chunk.length; k += 1) customerIds.push(res.insertId + k);
  }

  // Optionally one more customer (a card that succeeds) with a block of consecutive invoices in
  // the middle of the run: the pattern that would cause lock contention if charged at once.
  const block = opts.oneCustomerInvoices ?? 0;
  let blockCustomer = 0;
  if (block > 0) {
    const made = stripe.createCustomer({ paymentMethod: 'pm_card_visa', email: 'bench-many-invoices@example.test' });
    const [res] = await db.query<ResultSetHeader>('INSERT INTO customer (stripe_customer_id, stripe_payment_method_id) VALUES (?, ?)', [made.customerId, made.paymentMethodId]);
    blockCustomer = res.insertId;
  }
  const total = opts.count;
  const blockStart = Math.floor((total - block) / 2);
  let firstId = 0;
  let lastId = 0;
  let expectedFailed = 0;
  const CHUNK = 5000;
  for (let i = 0; i < total; i += CHUNK) {
    const rows: Array<[number, string, Date, number, string]> = [];
    for (let k = i; k < Math.min(total, i + CHUNK); k += 1) {
      if (k >= blockStart && k < blockStart + block) {
        rows.push([blockCustomer, 'pending', opts.dueDate, 1000 + (k % 9000), 'usd']);
        continue;
      }
      const c = k % customerIds.length;
      if (declines[c]) expectedFailed += 1;
      rows.push([customerIds[c], 'pending', opts.dueDate, 1000 + (k % 9000), 'usd']);
    }
    const [res] = await db.query<ResultSetHeader>(
      'INSERT INTO invoice (customer_id, status, due_date, amount_cents, currency) VALUES ?',
      [rows],
    );
    if (i === 0) firstId = res.insertId;
    lastId = res.insertId + rows.length - 1;
  }
  if (lastId - firstId + 1 !== total) throw new Error(`invoice ids not consecutive: ${firstId}..${lastId} for ${total}`);
  return { firstId, lastId, count: total, expectedPaid: total - expectedFailed, expectedFailed };
}
