/**
 * The demo data set: one customer per interesting Stripe outcome, and invoices that are due,
 * not yet due and already paid. Re-seeding replaces the previous demo rows.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import type Stripe from 'stripe';
import type { InvoiceStatus } from '../../src/billing/invoice-state';
import type { RunOutcomeStatus } from '../../src/billing/run-outcome';
import type { Pool } from '../../src/db/pool';
import { createStripeCustomer } from './stripe-customers';

interface DemoCustomer {
  name: string;
  /** A Stripe test payment method, or null for a customer with nothing on file. */
  testPaymentMethod: string | null;
}

interface DemoInvoice {
  customer: string;
  amountCents: number;
  currency: string;
  dueInDays: number;
  status: InvoiceStatus;
  /** What one run reports for it; undefined: the run does not touch it. */
  expected?: RunOutcomeStatus;
}

const CUSTOMERS: DemoCustomer[] = [
  { name: 'alice', testPaymentMethod: 'pm_card_visa' },
  { name: 'bruno', testPaymentMethod: 'pm_card_mastercard' },
  { name: 'chen', testPaymentMethod: 'pm_card_chargeCustomerFail' },
  { name: 'dana', testPaymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' },
  { name: 'emeka', testPaymentMethod: 'pm_card_authenticationRequired' },
  { name: 'farah', testPaymentMethod: null },
];

const INVOICES: DemoInvoice[] = [
  { customer: 'alice', amountCents: 5000, currency: 'usd', dueInDays: -1, status: 'pending', expected: 'paid' },
  { customer: 'alice', amountCents: 1999, currency: 'eur', dueInDays: -3, status: 'pending', expected: 'paid' },
  { customer: 'bruno', amountCents: 12000, currency: 'gbp', dueInDays: 0, status: 'pending', expected: 'paid' },
  { customer: 'bruno', amountCents: 5000, currency: 'jpy', dueInDays: -2, status: 'pending', expected: 'paid' },
  { customer: 'chen', amountCents: 2500, currency: 'usd', dueInDays: -1, status: 'pending', expected: 'failed' },
  { customer: 'dana', amountCents: 7500, currency: 'usd', dueInDays: -5, status: 'pending', expected: 'failed' },
  { customer: 'emeka', amountCents: 3000, currency: 'usd', dueInDays: -1, status: 'pending', expected: 'requires_auth' },
  { customer: 'farah', amountCents: 1000, currency: 'usd', dueInDays: -1, status: 'pending', expected: 'skipped' },
  { customer: 'alice', amountCents: 4000, currency: 'usd', dueInDays: 10, status: 'pending' },
  { customer: 'bruno', amountCents: 1500, currency: 'usd', dueInDays: -20, status: 'paid' },
];

export interface DemoOptions {
  /**
   * Also seed one invoice (bruno, 20.00 USD, Mastercard) that comes due this many minutes after
   * `now`: the next step README's "Running it" gives after the demo. Not due for a run as of `now`.
   */
  comingDueInMinutes?: number;
}

export interface SeededDemo {
  /** invoice id → what a run should report for it (due invoices only). */
  expected: Map<number, RunOutcomeStatus>;
  /** invoice ids the run must not touch (not due, already paid). */
  untouched: number[];
  /** The invoice that comes due later (with `comingDueInMinutes`), and when. */
  comingDue?: { invoiceId: number; dueAt: Date };
}

export async function seedDemoData(db: Pool, stripe: Stripe, now = new Date(), options: DemoOptions = {}): Promise<SeededDemo> {
  for (const table of ['payment_attempt', 'invoice', 'customer']) await db.query(`DELETE FROM ${table}`);
  const customerIds = new Map<string, number>();
  for (const c of CUSTOMERS) {
    const ids = c.testPaymentMethod
      ? await createStripeCustomer(stripe, c.testPaymentMethod, `${c.name}@example.test`)
      : { customerId: null, paymentMethodId: null };
    const [res] = await db.query<ResultSetHeader>(
      'INSERT INTO customer (stripe_customer_id, stripe_payment_method_id) VALUES (?, ?)',
      [ids.customerId, ids.paymentMethodId],
    );
    customerIds.set(c.name, res.insertId);
  }
  const seeded: SeededDemo = { expected: new Map(), untouched: [] };
  for (const inv of INVOICES) {
    const due = new Date(now.getTime() + inv.dueInDays * 86_400_000 - 60_000);
    const [res] = await db.query<ResultSetHeader>(
      `INSERT INTO invoice (customer_id, status, due_date, amount_cents, currency, paid_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [customerIds.get(inv.customer), inv.status, due, inv.amountCents, inv.currency, inv.status === 'paid' ? due : null],
    );
    if (inv.expected) seeded.expected.set(res.insertId, inv.expected);
    else seeded.untouched.push(res.insertId);
  }
  if (options.comingDueInMinutes !== undefined) {
    const dueAt = new Date(now.getTime() + options.comingDueInMinutes * 60_000);
    const [res] = await db.query<ResultSetHeader>(
      "INSERT INTO invoice (customer_id, status, due_date, amount_cents, currency) VALUES (?, 'pending', ?, 2000, 'usd')",
      [customerIds.get('bruno'), dueAt],
    );
    seeded.comingDue = { invoiceId: res.insertId, dueAt };
  }
  return seeded;
}
