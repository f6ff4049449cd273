/**
 * Whether an invoice, as stored, can be sent to Stripe at all. Decided before any claim or
 * charge, so bad data gets a recorded outcome and never a wrong charge.
 */
import type { InvoiceStatus } from './invoice-state';
import { checkAmount } from './money';

export interface InvoiceForCharge {
  id: number;
  status: InvoiceStatus;
  dueDate: Date | null;
  amountCents: unknown;
  currency: unknown;
  attemptCount: number;
  customerId: number | null;
  /** Undefined when no customer row exists. */
  customer?: { stripeCustomerId: string | null; stripePaymentMethodId: string | null };
}

export interface ChargeRequest {
  amountCents: number;
  currency: string;
  stripeCustomerId: string;
  stripePaymentMethodId: string;
}

export type Eligibility =
  | { kind: 'chargeable'; request: ChargeRequest }
  /** Nothing to do now, nothing wrong with the invoice: it stays pending. */
  | { kind: 'skip'; code: string; message: string }
  /** The invoice's data can never be charged as it is: it becomes failed until fixed. */
  | { kind: 'invalid'; code: string; message: string };

// Stripe ids are ASCII letters, digits and underscores after a fixed prefix. Anything else
// (quotes, spaces, shell or SQL metacharacters) is refused before it reaches any request.
const CUSTOMER_ID = /^cus_[A-Za-z0-9_]{1,250}$/;
const PAYMENT_METHOD_ID = /^(pm|card|src)_[A-Za-z0-9_]{1,250}$/;

export function isDue(invoice: Pick<InvoiceForCharge, 'dueDate'>, asOf: Date): boolean {
  return invoice.dueDate !== null && invoice.dueDate.getTime() <= asOf.getTime();
}

export function assessEligibility(invoice: InvoiceForCharge): Eligibility {
  const amount = checkAmount(invoice.amountCents, invoice.currency);
  if (amount.kind === 'invalid') {
    return { kind: 'invalid', code: amount.code, message: amount.message };
  }
  if (invoice.dueDate === null) {
    // Whether it is due cannot be known: never charge it, but say so in every run.
    return { kind: 'skip', code: 'no_due_date', message: 'invoice has no due date; set one to have it charged' };
  }
  if (invoice.customerId === null) {
    return { kind: 'skip', code: 'no_customer', message: 'invoice has no customer' };
  }
  if (invoice.customer === undefined) {
    return { kind: 'skip', code: 'customer_not_found', message: `customer ${invoice.customerId} does not exist` };
  }
  const { stripeCustomerId, stripePaymentMethodId } = invoice.customer;
  if (!stripeCustomerId || !stripePaymentMethodId) {
    const missing = [!stripeCustomerId && 'Stripe customer id', !stripePaymentMethodId && 'payment method'].filter(Boolean);
    return { kind: 'skip', code: 'no_payment_method', message: `customer has no ${missing.join(' and no ')} on file` };
  }
  if (!CUSTOMER_ID.test(stripeCustomerId)) {
    return { kind: 'invalid', code: 'invalid_customer_reference', message: 'stored Stripe customer id is malformed' };
  }
  if (!PAYMENT_METHOD_ID.test(stripePaymentMethodId)) {
    return { kind: 'invalid', code: 'invalid_payment_method_reference', message: 'stored Stripe payment method id is malformed' };
  }
  if (amount.kind === 'below_minimum') {
    return { kind: 'skip', code: amount.code, message: amount.message };
  }
  return {
    kind: 'chargeable',
    request: { amountCents: amount.amountCents, currency: amount.currency, stripeCustomerId, stripePaymentMethodId },
  };
}
