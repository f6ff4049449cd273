/**
 * The bad-input table (docs/bad-input.md), one row per case: how the row is seeded and what
 * it must end as. Every row goes through the same real run; none may be charged wrongly.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import type { StripeSimulator } from '../../dev/stack/stack';
import type { RunOutcomeStatus } from '../../src/billing/run-outcome';
import type { Pool } from '../../src/db/pool';
import { FUTURE, insertCustomer, insertInvoice } from '../support/fixtures';

export interface SeedContext {
  db: Pool;
  sim: StripeSimulator;
}

export interface Expectation {
  /** What the run's summary says; 'absent' when the run does not select the invoice at all. */
  reported: RunOutcomeStatus | 'absent';
  /** The invoice's status afterwards. */
  status: 'pending' | 'paid' | 'failed';
  /** failure_code recorded on the invoice (and in the summary's error). */
  code?: string;
  /** Charges that must exist at Stripe for it (0 for every bad row). */
  charges: 0 | 1;
  /** Whether any request for it may reach Stripe (false: decided before anything is sent). */
  sent: boolean;
  /** For paid rows: the amount and currency Stripe must have charged. */
  charged?: { amount: number; currency: string };
}

export interface BadInputRow {
  name: string;
  seed(ctx: SeedContext): Promise<number>;
  expect: Expectation;
}

/** A customer row backed by a simulator customer with `paymentMethod` attached (no HTTP). */
export async function cardCustomer(ctx: SeedContext, paymentMethod = 'pm_card_visa'): Promise<{ id: number; stripeCustomerId: string; paymentMethodId: string }> {
  const created = ctx.sim.createCustomer({ paymentMethod });
  const paymentMethodId = created.paymentMethodId as string;
  const id = await insertCustomer(ctx.db, { stripeCustomerId: created.customerId, stripePaymentMethodId: paymentMethodId });
  return { id, stripeCustomerId: created.customerId, paymentMethodId };
}

const onCard = (amountCents: number | null, currency = 'usd') => async (ctx: SeedContext) =>
  insertInvoice(ctx.db, { customerId: (await cardCustomer(ctx)).id, amountCents, currency });

const withIds = (stripeCustomerId: string | null, stripePaymentMethodId: string | null) => async (ctx: SeedContext) =>
  insertInvoice(ctx.db, { customerId: await insertCustomer(ctx.db, { stripeCustomerId, stripePaymentMethodId }) });

const failed = (code: string, sent = false): Expectation => ({ reported: 'failed', status: 'failed', code, charges: 0, sent });
const skipped = (code: string, sent = false): Expectation => ({ reported: 'skipped', status: 'pending', code, charges: 0, sent });
const paid = (amount: number, currency: string): Expectation => ({ reported: 'paid', status: 'paid', charges: 1, sent: true, charged: { amount, currency } });

export const BAD_INPUT_ROWS: BadInputRow[] = [
  { name: 'amount NULL', seed: onCard(null), expect: failed('invalid_amount') },
  { name: 'amount 0', seed: onCard(0), expect: failed('invalid_amount') },
  { name: 'amount negative (-500)', seed: onCard(-500), expect: failed('invalid_amount') },
  {
    // BIGINT holds 2^63; beyond 2^53 the driver hands over a string, never a rounded number.
    name: 'amount beyond a safe integer (9007199254740993, arrives as a string)',
    seed: async (ctx) => {
      const id = await onCard(1)(ctx);
      await ctx.db.query('UPDATE invoice SET amount_cents = 9007199254740993 WHERE id = ?', [id]);
      return id;
    },
    expect: failed('invalid_amount'),
  },
  { name: 'amount over 99,999,999 (100,000,000)', seed: onCard(100_000_000), expect: failed('invalid_amount') },
  { name: 'amount exactly 99,999,999 (the maximum) is charged', seed: onCard(99_999_999), expect: paid(99_999_999, 'usd') },
  { name: 'amount below the currency minimum (0.49 USD)', seed: onCard(49), expect: skipped('amount_too_small') },
  { name: 'zero-decimal currency below its minimum (49 JPY)', seed: onCard(49, 'jpy'), expect: skipped('amount_too_small') },
  {
    // Our table says 1.500 TND, Stripe's says 2.000: Stripe's refusal is recorded as a skip too.
    name: 'below Stripe\'s minimum though above ours (1.500 TND)',
    seed: onCard(1_500, 'tnd'),
    expect: skipped('amount_too_small', true),
  },
  { name: 'unknown currency (xyz)', seed: onCard(5_000, 'xyz'), expect: failed('invalid_currency') },
  { name: 'malformed currency (empty)', seed: onCard(5_000, ''), expect: failed('invalid_currency') },
  { name: 'malformed currency (us$)', seed: onCard(5_000, 'us$'), expect: failed('invalid_currency') },
  { name: "malformed currency (usd'--)", seed: onCard(5_000, "usd'--"), expect: failed('invalid_currency') },
  { name: 'currency in upper case with a space (" USD") is normalised and charged', seed: onCard(5_000, ' USD'), expect: paid(5_000, 'usd') },
  { name: 'zero-decimal currency: 5000 JPY is ¥5000, not ¥50', seed: onCard(5_000, 'jpy'), expect: paid(5_000, 'jpy') },
  { name: 'three-decimal currency: 1230 BHD is 1.230 BHD', seed: onCard(1_230, 'bhd'), expect: paid(1_230, 'bhd') },
  { name: 'three-decimal currency not ending in 0 (1235 BHD)', seed: onCard(1_235, 'bhd'), expect: failed('invalid_amount') },
  {
    name: 'due_date NULL',
    seed: async (ctx) => insertInvoice(ctx.db, { customerId: (await cardCustomer(ctx)).id, dueDate: null }),
    expect: skipped('no_due_date'),
  },
  {
    name: 'due_date in the future: not due, not selected, untouched',
    seed: async (ctx) => insertInvoice(ctx.db, { customerId: (await cardCustomer(ctx)).id, dueDate: FUTURE }),
    expect: { reported: 'absent', status: 'pending', charges: 0, sent: false },
  },
  { name: 'no customer (customer_id NULL)', seed: (ctx) => insertInvoice(ctx.db, { customerId: null }), expect: skipped('no_customer') },
  { name: 'missing customer row', seed: (ctx) => insertInvoice(ctx.db, { customerId: 987_654 }), expect: skipped('customer_not_found') },
  { name: 'customer with a Stripe customer id but no payment method', seed: withIds('cus_onlycustomer', null), expect: skipped('no_payment_method') },
  { name: 'customer with a payment method but no Stripe customer id', seed: withIds(null, 'pm_onlymethod'), expect: skipped('no_payment_method') },
  { name: 'malformed customer id (cus with spaces)', seed: withIds('cus abc', 'pm_card_visa'), expect: failed('invalid_customer_reference') },
  { name: 'customer id with SQL metacharacters', seed: withIds("cus_x'; DROP TABLE invoice; --", 'pm_card_visa'), expect: failed('invalid_customer_reference') },
  { name: 'customer id with a look-alike letter (Cyrillic а)', seed: withIds('cus_\u0430bc', 'pm_card_visa'), expect: failed('invalid_customer_reference') },
  { name: 'payment method id with shell metacharacters', seed: withIds('cus_shell', 'pm_x$(touch /tmp/pwned);`id`'), expect: failed('invalid_payment_method_reference') },
  { name: 'payment method id with a newline', seed: withIds('cus_newline', 'pm_card_visa\nrm'), expect: failed('invalid_payment_method_reference') },
  { name: 'well-formed customer id unknown to Stripe', seed: withIds('cus_doesnotexist', 'pm_card_visa'), expect: failed('resource_missing', true) },
  {
    name: "a payment method that belongs to another customer",
    seed: async (ctx) => {
      const owner = await cardCustomer(ctx);
      const other = ctx.sim.createCustomer({});
      const [res] = await ctx.db.query<ResultSetHeader>(
        'INSERT INTO customer (stripe_customer_id, stripe_payment_method_id) VALUES (?, ?)', [other.customerId, owner.paymentMethodId],
      );
      return insertInvoice(ctx.db, { customerId: res.insertId });
    },
    expect: failed('invalid_request_error', true),
  },
];
