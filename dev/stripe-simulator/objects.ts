/**
 * Builders for the Stripe objects the simulator returns. Typed against the SDK's own interfaces, so
 * a field Stripe requires but we forget is a compile error.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { stripeId } from './random';
import type { TestPaymentMethod } from './test-cards';

export const nowUnix = (): number => Math.floor(Date.now() / 1000);

export function emptyAddress(): Stripe.Address {
  return { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
}

export function buildCustomer(input: {
  email: string | null;
  name: string | null;
  description: string | null;
  metadata: Record<string, string>;
}): Stripe.Customer {
  return {
    id: stripeId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowUnix(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: input.description,
    discount: null,
    email: input.email,
    invoice_prefix: stripeId('', 8).slice(1).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: input.metadata,
    name: input.name,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/** Same card number, same fingerprint: lets callers detect "the same card" as Stripe allows. */
function fingerprint(source: TestPaymentMethod): string {
  return createHash('sha256').update(`${source.brand}:${source.number ?? source.last4}`).digest('base64url').slice(0, 16);
}

/** A fresh `pm_…` generated from a test token (what Stripe does for `pm_card_visa` and friends). */
export function buildPaymentMethod(source: TestPaymentMethod, customer: string | null): Stripe.PaymentMethod {
  const base = {
    id: stripeId('pm'),
    object: 'payment_method' as const,
    allow_redisplay: 'unspecified' as const,
    billing_details: { address: emptyAddress(), email: null, name: null, phone: null, tax_id: null },
    created: nowUnix(),
    customer,
    customer_account: null,
    livemode: false,
    metadata: {},
  };
  if (source.type === 'us_bank_account') {
    return {
      ...base,
      type: 'us_bank_account',
      us_bank_account: {
        account_holder_type: 'individual',
        account_type: 'checking',
        bank_name: source.brand,
        financial_connections_account: null,
        fingerprint: fingerprint(source),
        last4: source.last4,
        networks: { preferred: 'ach', supported: ['ach'] },
        routing_number: '110000000',
        status_details: null,
      },
    };
  }
  return {
    ...base,
    type: 'card',
    card: {
      brand: source.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: source.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 3,
      fingerprint: fingerprint(source),
      funding: source.funding,
      generated_from: null,
      last4: source.last4,
      networks: { available: [source.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
  };
}

export interface PaymentIntentInput {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata: Record<string, string>;
  paymentMethod: string | null;
  paymentMethodType: string;
  receiptEmail: string | null;
  statementDescriptor: string | null;
  statementDescriptorSuffix: string | null;
  setupFutureUsage: Stripe.PaymentIntent.SetupFutureUsage | null;
  captureMethod: Stripe.PaymentIntent.CaptureMethod;
}

/** A PaymentIntent as created, before confirmation. */
export function buildPaymentIntent(input: PaymentIntentInput): Stripe.PaymentIntent {
  const id = stripeId('pi');
  return {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod,
    client_secret: `${id}_secret_${stripeId('', 25).slice(1)}`,
    confirmation_method: 'automatic',
    created: nowUnix(),
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: [input.paymentMethodType],
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail,
    review: null,
    setup_future_usage: input.setupFutureUsage,
    shipping: null,
    source: null,
    statement_descriptor: input.statementDescriptor,
    statement_descriptor_suffix: input.statementDescriptorSuffix,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

/** What Stripe puts in `next_action` for a card that needs 3-D Secure. */
export function threeDSecureNextAction(): Stripe.PaymentIntent.NextAction {
  return {
    type: 'use_stripe_sdk',
    use_stripe_sdk: {
      type: 'three_d_secure_redirect',
      stripe_js: `https://hooks.stripe.com/redirect/authenticate/${stripeId('src')}`,
      source: stripeId('src'),
    },
  };
}

/** Deep copy, so a stored object cannot be mutated through a response or an error. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
