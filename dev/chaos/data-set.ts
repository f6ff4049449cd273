/**
 * The chaos data set: N due invoices, one customer each, with a mix of payment methods and
 * currencies whose final outcome is known in advance whatever faults happen on the way.
 * Customers are created inside the simulator (no HTTP, no rate limit), then written to the DB.
 */
import type { StripeSimulator } from '../stack/stack';
import type { Pool } from '../../src/db/pool';

/** What the invoice must end as: its own status, or `settles` (bank debit, settled during recovery). */
export type ExpectedOutcome = 'paid' | 'failed' | 'requires_auth' | 'skipped' | 'settles';

interface Profile {
  name: string;
  /** Test payment method token, or null for a customer with nothing on file. */
  paymentMethod: string | null;
  expected: ExpectedOutcome;
  currency: string;
  /** Amount in minor units for invoice number i. */
  amount: (i: number) => number;
  /** Share of the data set, out of 100. */
  weight: number;
}

const varied = (base: number) => (i: number) => base + ((i * 137) % 9_000);

const PROFILES: Profile[] = [
  { name: 'visa usd', paymentMethod: 'pm_card_visa', expected: 'paid', currency: 'usd', amount: varied(1_000), weight: 20 },
  { name: 'visa eur', paymentMethod: 'pm_card_visa', expected: 'paid', currency: 'eur', amount: varied(1_000), weight: 10 },
  { name: 'mastercard gbp', paymentMethod: 'pm_card_mastercard', expected: 'paid', currency: 'gbp', amount: varied(500), weight: 15 },
  { name: 'amex usd', paymentMethod: 'pm_card_amex', expected: 'paid', currency: 'usd', amount: varied(2_000), weight: 5 },
  { name: '3DS set up for off-session', paymentMethod: 'pm_card_authenticationRequiredSetupForOffSession', expected: 'paid', currency: 'usd', amount: varied(1_500), weight: 5 },
  { name: 'visa jpy (zero-decimal)', paymentMethod: 'pm_card_visa', expected: 'paid', currency: 'jpy', amount: varied(500), weight: 4 },
  { name: 'declined', paymentMethod: 'pm_card_chargeDeclined', expected: 'failed', currency: 'usd', amount: varied(1_000), weight: 6 },
  { name: 'insufficient funds', paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds', expected: 'failed', currency: 'eur', amount: varied(1_000), weight: 6 },
  { name: 'expired card', paymentMethod: 'pm_card_chargeDeclinedExpiredCard', expected: 'failed', currency: 'usd', amount: varied(1_000), weight: 3 },
  { name: 'attaches then declines', paymentMethod: 'pm_card_chargeCustomerFail', expected: 'failed', currency: 'usd', amount: varied(1_000), weight: 2 },
  { name: 'needs 3-D Secure', paymentMethod: 'pm_card_authenticationRequired', expected: 'requires_auth', currency: 'usd', amount: varied(1_000), weight: 6 },
  { name: 'bank debit (settles later)', paymentMethod: 'pm_sim_processing', expected: 'settles', currency: 'usd', amount: varied(3_000), weight: 6 },
  { name: 'no payment method', paymentMethod: null, expected: 'skipped', currency: 'usd', amount: varied(1_000), weight: 5 },
  { name: 'below minimum', paymentMethod: 'pm_card_visa', expected: 'skipped', currency: 'usd', amount: (i) => 1 + (i % 40), weight: 4 },
  { name: 'invalid amount (0)', paymentMethod: 'pm_card_visa', expected: 'failed', currency: 'usd', amount: () => 0, weight: 3 },
];

/** 100 slots, one profile each by weight; invoice i takes slot (i·61 mod 100), a permutation. */
const SLOTS: Profile[] = PROFILES.flatMap((p) => Array.from({ length: p.weight }, () => p));
if (SLOTS.length !== 100) throw new Error(`profile weights add up to ${SLOTS.length}, not 100`);

export interface SeededInvoice {
  id: number;
  profile: string;
  expected: ExpectedOutcome;
  amountCents: number;
  currency: string;
}

export const DUE_DATE = new Date('2026-01-15T00:00:00Z');

/** Writes `count` due invoices (ids 1..count) and their customers; the simulator gets the Stripe side. */
export async function seedInvoices(db: Pool, stripe: StripeSimulator, count: number): Promise<SeededInvoice[]> {
  const invoices: SeededInvoice[] = [];
  const customerRows: Array<[number, string, string | null]> = [];
  const invoiceRows: Array<[number, number, Date, number, string]> = [];
  for (let i = 1; i <= count; i += 1) {
    const profile = SLOTS[(i * 61) % 100];
    const created = stripe.createCustomer({
      email: `chaos-${i}@example.test`,
      ...(profile.paymentMethod ? { paymentMethod: profile.paymentMethod } : {}),
    });
    customerRows.push([i, created.customerId, created.paymentMethodId ?? null]);
    const amountCents = profile.amount(i);
    invoiceRows.push([i, i, DUE_DATE, amountCents, profile.currency]);
    invoices.push({ id: i, profile: profile.name, expected: profile.expected, amountCents, currency: profile.currency });
  }
  for (let start = 0; start < count; start += 500) {
    await db.query('INSERT INTO customer (id, stripe_customer_id, stripe_payment_method_id) VALUES ?', [customerRows.slice(start, start + 500)]);
    await db.query('INSERT INTO invoice (id, customer_id, due_date, amount_cents, currency) VALUES ?', [invoiceRows.slice(start, start + 500)]);
  }
  return invoices;
}

/** Bank debits are settled during recovery: even invoice ids succeed, odd ones fail. */
export function settlementFor(invoiceId: number): 'succeed' | 'fail' {
  return invoiceId % 2 === 0 ? 'succeed' : 'fail';
}

/** The status the invoice row must have once every scenario fault is over and recovery ran. */
export function expectedStatus(invoice: SeededInvoice): string {
  switch (invoice.expected) {
    case 'settles':
      return settlementFor(invoice.id) === 'succeed' ? 'paid' : 'failed';
    case 'skipped':
      return 'pending';
    default:
      return invoice.expected;
  }
}
