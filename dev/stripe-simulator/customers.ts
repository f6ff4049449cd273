/** Customers and PaymentMethods: just enough to save a test card for off-session charges. */
import type Stripe from 'stripe';
import type { ApiRequest, ApiResult, Services } from './context';
import { ApiError, docUrl, invalidRequest, missingParam, resourceMissing } from './errors';
import { getMap, getString } from './form';
import { buildCustomer, buildPaymentMethod, clone } from './objects';
import type { PaymentMethodRecord } from './store';
import { testPaymentMethod } from './test-cards';
import { metadataParam, optionalString, rejectUnknown } from './validation';

const CUSTOMER_CREATE_PARAMS = new Set([
  'address', 'balance', 'business_name', 'cash_balance', 'description', 'email', 'expand', 'individual_name',
  'invoice_prefix', 'invoice_settings', 'metadata', 'name', 'next_invoice_sequence', 'payment_method', 'phone',
  'preferred_locales', 'shipping', 'source', 'tax', 'tax_exempt', 'tax_id_data', 'test_clock', 'validate',
]);

export const noSuchPaymentMethod = (id: string, status: 400 | 404 = 400): ApiError =>
  resourceMissing(`No such PaymentMethod: '${id}'`, 'payment_method', status);

export const notAttachedToCustomer = (pmId: string, param: string): ApiError =>
  invalidRequest(
    `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
    param,
  );

/** A test token yields a fresh `pm_…` each time it is used, as on Stripe. */
export function paymentMethodFromToken(services: Services, token: string, customer: string | null): PaymentMethodRecord | undefined {
  const source = testPaymentMethod(token);
  if (!source) return undefined;
  const record: PaymentMethodRecord = { object: buildPaymentMethod(source, customer), source, consumed: false };
  services.store.paymentMethods.set(record.object.id, record);
  return record;
}

/** POST /v1/payment_methods/:id/attach, and the `payment_method` of a new customer. */
function attach(services: Services, pmId: string, customerId: string, urlObject: boolean, validate = true): PaymentMethodRecord {
  const fromToken = testPaymentMethod(pmId);
  if (fromToken) {
    if (validate && services.strictAttach && !fromToken.attachesUnderStrict && fromToken.outcome.kind === 'decline') {
      // Stripe validates the card on attach; only pm_card_chargeCustomerFail attaches and then declines.
      const { code, declineCode, message, adviceCode, networkDeclineCode, param } = fromToken.outcome;
      throw new ApiError(
        402,
        {
          type: 'card_error',
          code,
          decline_code: declineCode,
          doc_url: docUrl(code),
          message,
          ...(adviceCode !== null ? { advice_code: adviceCode } : {}),
          ...(networkDeclineCode !== null ? { network_decline_code: networkDeclineCode } : {}),
          ...(param !== null ? { param } : {}),
        },
        'store',
      );
    }
    return paymentMethodFromToken(services, pmId, customerId) as PaymentMethodRecord;
  }
  const record = services.store.paymentMethods.get(pmId);
  if (!record) throw noSuchPaymentMethod(pmId, urlObject ? 404 : 400);
  if (record.object.customer === customerId) return record;
  if (record.object.customer !== null) {
    throw invalidRequest('The payment method you provided has already been attached to a customer.', 'payment_method');
  }
  if (record.consumed) {
    throw invalidRequest(
      'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
      'payment_method',
    );
  }
  record.object.customer = customerId;
  return record;
}

export interface NewCustomer {
  email?: string;
  name?: string;
  description?: string;
  metadata: Record<string, string>;
  paymentMethod?: string;
  defaultPaymentMethod?: string;
  /**
   * Simulator seeding (sim.createCustomer, POST /_sim/customers): saves any test card without
   * Stripe's attach-time validation, so tests get saved cards that decline (as a card that starts
   * declining after it was saved would).
   */
  seeding?: boolean;
}

/** Creates a customer, attaching `paymentMethod` first so a failure leaves nothing behind. */
export function createCustomer(services: Services, input: NewCustomer): { customer: Stripe.Customer; paymentMethod?: PaymentMethodRecord } {
  const customer = buildCustomer({
    email: input.email ?? null,
    name: input.name ?? null,
    description: input.description ?? null,
    metadata: input.metadata,
  });
  const pm = input.paymentMethod ? attach(services, input.paymentMethod, customer.id, false, !input.seeding) : undefined;
  if (input.defaultPaymentMethod !== undefined) {
    // Stripe resolves a token given both as payment_method and as the default to the new pm_….
    const resolved = input.defaultPaymentMethod === input.paymentMethod ? pm?.object.id : input.defaultPaymentMethod;
    const attached = resolved ? services.store.paymentMethods.get(resolved) : undefined;
    if (!resolved || attached?.object.customer !== customer.id) {
      // Undo the attach: the request failed as a whole.
      if (pm && input.paymentMethod && testPaymentMethod(input.paymentMethod)) services.store.paymentMethods.delete(pm.object.id);
      else if (pm) pm.object.customer = null;
      throw notAttachedToCustomer(input.defaultPaymentMethod, 'invoice_settings[default_payment_method]');
    }
    customer.invoice_settings.default_payment_method = resolved;
  }
  services.store.customers.set(customer.id, customer);
  return pm ? { customer, paymentMethod: pm } : { customer };
}

export function postCustomer(services: Services, req: ApiRequest): ApiResult {
  const p = req.params;
  rejectUnknown(p, CUSTOMER_CREATE_PARAMS);
  const metadata = metadataParam(p);
  const email = optionalString(p, 'email');
  const name = optionalString(p, 'name');
  const description = optionalString(p, 'description');
  const paymentMethod = optionalString(p, 'payment_method');
  const invoiceSettings = getMap(p, 'invoice_settings');
  const defaultPaymentMethod = invoiceSettings ? getString(invoiceSettings, 'default_payment_method') : undefined;
  const { customer } = createCustomer(services, {
    metadata,
    ...(email !== undefined ? { email } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(paymentMethod ? { paymentMethod } : {}),
    ...(defaultPaymentMethod !== undefined ? { defaultPaymentMethod } : {}),
  });
  return { status: 200, body: clone(customer) };
}

export function getCustomer(services: Services, id: string): ApiResult {
  const customer = services.store.customers.get(id);
  if (!customer) throw resourceMissing(`No such customer: '${id}'`, 'id', 404);
  return { status: 200, body: clone(customer) };
}

export function postAttach(services: Services, req: ApiRequest, pmId: string): ApiResult {
  rejectUnknown(req.params, new Set(['customer', 'customer_account', 'expand']));
  const customerId = optionalString(req.params, 'customer');
  if (!customerId) throw missingParam('customer');
  if (!services.store.customers.has(customerId)) throw resourceMissing(`No such customer: '${customerId}'`, 'customer');
  return { status: 200, body: clone(attach(services, pmId, customerId, true).object) };
}

export function getPaymentMethod(services: Services, id: string): ApiResult {
  const record = services.store.paymentMethods.get(id) ?? paymentMethodFromToken(services, id, null);
  if (!record) throw noSuchPaymentMethod(id, 404);
  return { status: 200, body: clone(record.object) };
}
