/** PaymentIntents: create (+confirm), confirm, cancel, retrieve and list. */
import type Stripe from 'stripe';
import { validateAmount, validateCurrency, parseInteger } from './currencies';
import { eventRequest, type ApiRequest, type ApiResult, type Services } from './context';
import { noSuchPaymentMethod, notAttachedToCustomer, paymentMethodFromToken } from './customers';
import { invalidParam, invalidRequest, missingParam, resourceMissing } from './errors';
import { getMap, type ParamMap } from './form';
import { buildPaymentIntent, clone } from './objects';
import { confirmIntent, transition } from './payment-flow';
import type { PaymentIntentRecord, PaymentMethodRecord } from './store';
import { testPaymentMethod } from './test-cards';
import { metadataParam, offSessionParam, optionalBoolean, optionalString, rejectUnknown } from './validation';

/** Every top-level parameter of PaymentIntentCreateParams in stripe@23, plus the older payment_method_types. */
const CREATE_PARAMS = new Set([
  'amount', 'currency', 'allowed_payment_method_types', 'amount_details', 'application_fee_amount',
  'automatic_payment_methods', 'capture_method', 'confirm', 'confirmation_method', 'confirmation_token', 'customer',
  'customer_account', 'description', 'error_on_requires_action', 'excluded_payment_method_types', 'expand', 'hooks',
  'mandate', 'mandate_data', 'metadata', 'off_session', 'on_behalf_of', 'payment_details', 'payment_method',
  'payment_method_configuration', 'payment_method_data', 'payment_method_options', 'payment_method_types',
  'radar_options', 'receipt_email', 'return_url', 'setup_future_usage', 'shipping', 'statement_descriptor',
  'statement_descriptor_suffix', 'transfer_data', 'transfer_group', 'use_stripe_sdk',
]);
const CONFIRM_PARAMS = new Set([
  'allowed_payment_method_types', 'amount_details', 'amount_to_confirm', 'capture_method', 'confirmation_token',
  'error_on_requires_action', 'excluded_payment_method_types', 'expand', 'hooks', 'mandate', 'mandate_data',
  'off_session', 'payment_details', 'payment_method', 'payment_method_data', 'payment_method_options',
  'payment_method_types', 'radar_options', 'receipt_email', 'return_url', 'setup_future_usage', 'shipping',
  'use_stripe_sdk',
]);
const LIST_PARAMS = new Set(['customer', 'customer_account', 'created', 'ending_before', 'expand', 'limit', 'starting_after']);

const noSuchIntent = (id: string, param = 'intent', status: 400 | 404 = 404) =>
  resourceMissing(`No such payment_intent: '${id}'`, param, status);

const MISSING_PAYMENT_METHOD =
  "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the " +
  'PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.';

/** Resolves `payment_method` against `customer` with Stripe's ownership rules. */
function resolvePaymentMethod(services: Services, id: string, customer: string | null): PaymentMethodRecord {
  if (testPaymentMethod(id)) return paymentMethodFromToken(services, id, null) as PaymentMethodRecord;
  const record = services.store.paymentMethods.get(id);
  if (!record) throw noSuchPaymentMethod(id);
  const owner = typeof record.object.customer === 'string' ? record.object.customer : null;
  if (owner && !customer) {
    throw invalidRequest(
      `The \`payment_method\` parameter supplied ${id} belongs to the Customer ${owner}. Please include the Customer in the \`customer\` parameter on the PaymentIntent.`,
      'payment_method',
    );
  }
  if (customer && owner !== customer) throw notAttachedToCustomer(id, 'payment_method');
  if (!owner && record.consumed) {
    throw invalidRequest(
      'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a ' +
        'connected account without Customer attachment, or was detached from a Customer. It may not be used again. ' +
        'To use a PaymentMethod multiple times, you must attach it to a Customer first.',
      'payment_method',
    );
  }
  return record;
}

export function createPaymentIntent(services: Services, req: ApiRequest): ApiResult {
  const p = req.params;
  // Validation phase: nothing here is stored under the idempotency key.
  rejectUnknown(p, CREATE_PARAMS);
  const rawAmount = optionalString(p, 'amount');
  if (rawAmount === undefined || rawAmount === '') throw missingParam('amount');
  const amount = parseInteger(rawAmount, 'amount');
  const rawCurrency = optionalString(p, 'currency');
  if (rawCurrency === undefined || rawCurrency === '') throw missingParam('currency');
  const currency = validateCurrency(rawCurrency);
  const confirm = optionalBoolean(p, 'confirm') ?? false;
  const offSession = offSessionParam(p) ?? false;
  if (offSession && !confirm) {
    throw invalidParam('You may only specify `off_session` when `confirm` is set to true.', 'off_session');
  }
  const metadata = metadataParam(p);
  const captureMethod = optionalString(p, 'capture_method') ?? 'automatic_async';
  if (captureMethod === 'manual') {
    throw invalidParam('stripe-sim: capture_method=manual is not simulated.', 'capture_method');
  }
  if (captureMethod !== 'automatic' && captureMethod !== 'automatic_async') {
    throw invalidParam(`Invalid capture_method: must be one of automatic, automatic_async, or manual`, 'capture_method');
  }
  const setupFutureUsage = optionalString(p, 'setup_future_usage');
  validateAmount(amount, currency);

  // Execution phase: from here on every answer is stored under the idempotency key.
  const customerId = optionalString(p, 'customer') || null;
  if (customerId && !services.store.customers.has(customerId)) {
    throw resourceMissing(`No such customer: '${customerId}'`, 'customer');
  }
  const pmId = optionalString(p, 'payment_method') || null;
  if (confirm && !pmId) throw invalidRequest(MISSING_PAYMENT_METHOD, undefined, 'payment_intent_unexpected_state');
  const pm = pmId ? resolvePaymentMethod(services, pmId, customerId) : null;

  const object = buildPaymentIntent({
    amount,
    currency,
    customer: customerId,
    description: optionalString(p, 'description') ?? null,
    metadata,
    paymentMethod: pm?.object.id ?? null,
    paymentMethodType: pm?.object.type ?? 'card',
    receiptEmail: optionalString(p, 'receipt_email') ?? null,
    statementDescriptor: optionalString(p, 'statement_descriptor') ?? null,
    statementDescriptorSuffix: optionalString(p, 'statement_descriptor_suffix') ?? null,
    setupFutureUsage:
      setupFutureUsage === 'on_session' || setupFutureUsage === 'off_session' ? setupFutureUsage : null,
    captureMethod,
  });
  const record: PaymentIntentRecord = {
    object,
    seq: services.store.nextSeq(),
    paymentMethod: pm,
    ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
  };
  services.store.paymentIntents.set(object.id, record);
  services.events.paymentIntent('payment_intent.created', clone(object), eventRequest(req));
  if (confirm && pm) confirmIntent(services, record, pm, offSession, req);
  return { status: 200, body: clone(record.object) };
}

const CONFIRMABLE: readonly Stripe.PaymentIntent.Status[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];
const CANCELABLE: readonly Stripe.PaymentIntent.Status[] = [
  'requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing',
];

function existing(services: Services, id: string): PaymentIntentRecord {
  const record = services.store.paymentIntents.get(id);
  if (!record) throw noSuchIntent(id);
  return record;
}

function unexpectedState(verb: 'confirm' | 'cancel', status: string, allowed: readonly string[]) {
  return invalidRequest(
    `You cannot ${verb} this PaymentIntent because it has a status of ${status}. Only a PaymentIntent with one of the ` +
      `following statuses may be ${verb === 'confirm' ? 'confirmed' : 'canceled'}: ${allowed.join(', ')}.`,
    undefined,
    'payment_intent_unexpected_state',
  );
}

/** POST /v1/payment_intents/:id/confirm */
export function confirmPaymentIntent(services: Services, req: ApiRequest, id: string): ApiResult {
  rejectUnknown(req.params, CONFIRM_PARAMS);
  const offSession = offSessionParam(req.params) ?? false;
  const record = existing(services, id);
  const status = record.object.status;
  if (!CONFIRMABLE.includes(status)) throw unexpectedState('confirm', status, CONFIRMABLE);
  const customer = typeof record.object.customer === 'string' ? record.object.customer : null;
  const pmId = optionalString(req.params, 'payment_method');
  const pm = pmId ? resolvePaymentMethod(services, pmId, customer) : record.paymentMethod;
  if (!pm) throw invalidRequest(MISSING_PAYMENT_METHOD, undefined, 'payment_intent_unexpected_state');
  record.paymentMethod = pm;
  confirmIntent(services, record, pm, offSession, req);
  return { status: 200, body: clone(record.object) };
}

/** POST /v1/payment_intents/:id/cancel */
export function cancelPaymentIntent(services: Services, req: ApiRequest, id: string): ApiResult {
  rejectUnknown(req.params, new Set(['cancellation_reason', 'expand']));
  const reason = optionalString(req.params, 'cancellation_reason') ?? null;
  const record = existing(services, id);
  const status = record.object.status;
  if (!CANCELABLE.includes(status)) throw unexpectedState('cancel', status, CANCELABLE);
  transition(services, record, req, 'payment_intent.canceled', {
    status: 'canceled',
    canceled_at: Math.floor(Date.now() / 1000),
    cancellation_reason: reason,
    next_action: null,
  });
  return { status: 200, body: clone(record.object) };
}

export function getPaymentIntent(services: Services, id: string): ApiResult {
  return { status: 200, body: clone(existing(services, id).object) };
}

/** `created=<ts>` or `created[gt|gte|lt|lte]=<ts>`, as on every Stripe list. */
function createdFilter(p: ParamMap): (created: number) => boolean {
  const raw = p.created;
  if (raw === undefined) return () => true;
  if (typeof raw === 'string') {
    const exact = parseInteger(raw, 'created');
    return (c) => c === exact;
  }
  const range = getMap(p, 'created');
  if (!range) throw invalidParam('Invalid created: must be an integer or a hash of gt, gte, lt, lte', 'created');
  const bounds: Array<(c: number) => boolean> = [];
  for (const [op, value] of Object.entries(range)) {
    if (typeof value !== 'string') throw invalidParam(`Invalid integer: created[${op}]`, `created[${op}]`);
    const n = parseInteger(value, `created[${op}]`);
    if (op === 'gt') bounds.push((c) => c > n);
    else if (op === 'gte') bounds.push((c) => c >= n);
    else if (op === 'lt') bounds.push((c) => c < n);
    else if (op === 'lte') bounds.push((c) => c <= n);
    else throw invalidParam(`Received unknown parameter: created[${op}]`, `created[${op}]`, 'parameter_unknown');
  }
  return (c) => bounds.every((b) => b(c));
}

/** GET /v1/payment_intents: newest first, cursor pagination like every Stripe list. */
export function listPaymentIntents(services: Services, req: ApiRequest): ApiResult {
  const p = req.params;
  rejectUnknown(p, LIST_PARAMS);
  const rawLimit = optionalString(p, 'limit');
  const limit = rawLimit === undefined ? 10 : parseInteger(rawLimit, 'limit');
  if (limit < 1) throw invalidParam('This value must be greater than or equal to 1.', 'limit');
  if (limit > 100) throw invalidParam('This value must be less than or equal to 100.', 'limit');
  const customer = optionalString(p, 'customer');
  const created = createdFilter(p);
  const all = services.store.intentsNewestFirst(
    (r) => (!customer || r.object.customer === customer) && created(r.object.created),
  );
  const startingAfter = optionalString(p, 'starting_after');
  const endingBefore = optionalString(p, 'ending_before');
  let page: PaymentIntentRecord[];
  let hasMore: boolean;
  if (startingAfter) {
    if (!services.store.paymentIntents.has(startingAfter)) throw noSuchIntent(startingAfter, 'starting_after', 400);
    const rest = all.slice(all.findIndex((r) => r.object.id === startingAfter) + 1);
    page = rest.slice(0, limit);
    hasMore = rest.length > limit;
  } else if (endingBefore) {
    if (!services.store.paymentIntents.has(endingBefore)) throw noSuchIntent(endingBefore, 'ending_before', 400);
    const idx = all.findIndex((r) => r.object.id === endingBefore);
    const before = idx < 0 ? [] : all.slice(0, idx);
    page = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    page = all.slice(0, limit);
    hasMore = all.length > limit;
  }
  const body: Stripe.ApiList<Stripe.PaymentIntent> = {
    object: 'list',
    data: page.map((r) => clone(r.object)),
    has_more: hasMore,
    url: '/v1/payment_intents',
  };
  return { status: 200, body };
}
