/**
 * Test payment methods (https://stripe.com/docs/testing). A token such as `pm_card_visa` can be
 * used directly as `payment_method`, or attached to a customer, which creates a new `pm_…` that
 * keeps the token's behaviour.
 */

export type ChargeOutcome =
  /** The charge succeeds. */
  | { kind: 'succeed' }
  /** 402 card_error on every charge. */
  | ({ kind: 'decline' } & DeclineSignals)
  /**
   * The card wants 3-D Secure. On-session confirmation returns `requires_action`; off-session it
   * declines with `authentication_required` unless `offSession` is 'succeed' (card set up for
   * off-session use, like pm_card_authenticationRequiredSetupForOffSession).
   */
  | {
      kind: 'authenticate';
      offSession: 'decline' | 'succeed';
      /** After a successful challenge the charge itself declines (…ChargeDeclinedInsufficientFunds). */
      afterAuthentication?: DeclineSignals;
    }
  /** Asynchronous method (bank debit): the PaymentIntent stays `processing` until settled. */
  | { kind: 'processing' };

/**
 * What a decline carries. `adviceCode` and the network codes follow Stripe's decline-code guidance
 * (advice codes) and the networks' response codes for the underlying reason; Stripe's test cards
 * document the decline codes, the advice and network values per test card are our mapping
 * (marked in README): callers must not depend on more than "present and consistent".
 */
export interface DeclineSignals {
  code: string;
  declineCode: string;
  message: string;
  adviceCode: 'do_not_try_again' | 'try_again_later' | 'confirm_card_data' | null;
  networkDeclineCode: string | null;
  networkAdviceCode: string | null;
  /** Stripe names the offending card field on card-data errors (`cvc`, `exp_month`, `number`). */
  param: string | null;
}

export interface TestPaymentMethod {
  token: string;
  type: 'card' | 'us_bank_account';
  brand: string;
  last4: string;
  /** The full test card number when its last four digits are shared with another test card. */
  number?: string;
  funding: 'credit' | 'debit' | 'prepaid' | 'unknown';
  outcome: ChargeOutcome;
  /**
   * Whether attaching to a customer succeeds even under `strictAttach` (Stripe validates a card on
   * attach; only pm_card_chargeCustomerFail is documented to attach and then decline).
   */
  attachesUnderStrict: boolean;
  /** Not a Stripe token: exists only in this simulator. */
  simulatorOnly?: boolean;
}

const DECLINED = 'Your card was declined.';

function signals(
  code: string,
  declineCode: string,
  message: string,
  adviceCode: DeclineSignals['adviceCode'],
  networkDeclineCode: string | null,
  extra: { networkAdviceCode?: string; param?: string } = {},
): DeclineSignals {
  return { code, declineCode, message, adviceCode, networkDeclineCode, networkAdviceCode: extra.networkAdviceCode ?? null, param: extra.param ?? null };
}

function decline(...args: Parameters<typeof signals>): ChargeOutcome {
  return { kind: 'decline', ...signals(...args) };
}

const GENERIC = (): ChargeOutcome => decline('card_declined', 'generic_decline', DECLINED, 'try_again_later', '05');
const INSUFFICIENT = signals('card_declined', 'insufficient_funds', 'Your card has insufficient funds.', 'try_again_later', '51');
const LOST = (): ChargeOutcome => decline('card_declined', 'lost_card', DECLINED, 'do_not_try_again', '41');
const STOLEN = (): ChargeOutcome => decline('card_declined', 'stolen_card', DECLINED, 'do_not_try_again', '43');
const FRAUDULENT = (): ChargeOutcome => decline('card_declined', 'fraudulent', DECLINED, 'do_not_try_again', '59');

function card(
  token: string,
  brand: string,
  last4: string,
  outcome: ChargeOutcome = { kind: 'succeed' },
  funding: TestPaymentMethod['funding'] = 'credit',
): TestPaymentMethod {
  return { token, type: 'card', brand, last4, funding, outcome, attachesUnderStrict: outcome.kind !== 'decline' };
}

function simulatorCard(token: string, brand: string, last4: string, outcome: ChargeOutcome): TestPaymentMethod {
  return { ...card(token, brand, last4, outcome), simulatorOnly: true };
}

const TABLE: TestPaymentMethod[] = [
  // Cards by brand (https://docs.stripe.com/testing#cards): each succeeds.
  card('pm_card_visa', 'visa', '4242'),
  card('pm_card_visa_debit', 'visa', '5556', undefined, 'debit'),
  card('pm_card_mastercard', 'mastercard', '4444'),
  card('pm_card_mastercard_debit', 'mastercard', '8210', undefined, 'debit'),
  card('pm_card_mastercard_prepaid', 'mastercard', '5100', undefined, 'prepaid'),
  card('pm_card_amex', 'amex', '8431'),
  card('pm_card_discover', 'discover', '1117'),
  card('pm_card_diners', 'diners', '0004'),
  card('pm_card_jcb', 'jcb', '0000'),
  card('pm_card_unionpay', 'unionpay', '0005'),
  // Declines (https://docs.stripe.com/testing#declined-payments). Same number, same fingerprint.
  card('pm_card_chargeDeclined', 'visa', '0002', GENERIC()),
  card('pm_card_visa_chargeDeclined', 'visa', '0002', GENERIC()),
  card('pm_card_chargeDeclinedInsufficientFunds', 'visa', '9995', { kind: 'decline', ...INSUFFICIENT }),
  card('pm_card_visa_chargeDeclinedInsufficientFunds', 'visa', '9995', { kind: 'decline', ...INSUFFICIENT }),
  card('pm_card_chargeDeclinedLostCard', 'visa', '9987', LOST()),
  card('pm_card_visa_chargeDeclinedLostCard', 'visa', '9987', LOST()),
  card('pm_card_chargeDeclinedStolenCard', 'visa', '9979', STOLEN()),
  card('pm_card_visa_chargeDeclinedStolenCard', 'visa', '9979', STOLEN()),
  card('pm_card_chargeDeclinedFraudulent', 'visa', '0019', FRAUDULENT()),
  // Radar's "always blocked" card: declined by Radar, never sent to the network.
  {
    ...card('pm_card_radarBlock', 'visa', '0019', decline('card_declined', 'fraudulent', DECLINED, 'do_not_try_again', null)),
    number: '4100000000000019',
  },
  card(
    'pm_card_chargeDeclinedExpiredCard',
    'visa',
    '0069',
    decline('expired_card', 'expired_card', 'Your card has expired.', 'confirm_card_data', '54', { param: 'exp_month' }),
  ),
  card(
    'pm_card_chargeDeclinedIncorrectCvc',
    'visa',
    '0127',
    decline('incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect.", 'confirm_card_data', 'N7', { param: 'cvc' }),
  ),
  card(
    'pm_card_chargeDeclinedProcessingError',
    'visa',
    '0119',
    decline(
      'processing_error',
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
      'try_again_later',
      '96',
    ),
  ),
  card(
    'pm_card_visa_chargeDeclinedVelocityLimitExceeded',
    'visa',
    '6975',
    decline(
      'card_declined',
      'card_velocity_exceeded',
      'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
      'try_again_later',
      '61',
    ),
  ),
  // 3-D Secure.
  card('pm_card_authenticationRequired', 'visa', '3184', { kind: 'authenticate', offSession: 'decline' }),
  card('pm_card_threeDSecure2Required', 'visa', '3220', { kind: 'authenticate', offSession: 'decline' }),
  card('pm_card_authenticationRequiredSetupForOffSession', 'visa', '3155', { kind: 'authenticate', offSession: 'succeed' }),
  card('pm_card_authenticationRequiredChargeDeclinedInsufficientFunds', 'visa', '9978', {
    kind: 'authenticate',
    offSession: 'decline',
    afterAuthentication: INSUFFICIENT,
  }),
  { ...card('pm_card_chargeCustomerFail', 'visa', '0341', GENERIC()), attachesUnderStrict: true },
  // Simulator only: Mastercard declines carrying merchant advice codes (MAC), for network-rule tests.
  simulatorCard('pm_sim_mastercard_mac03', 'mastercard', '0003', decline('card_declined', 'do_not_honor', DECLINED, 'do_not_try_again', '05', { networkAdviceCode: '03' })),
  simulatorCard('pm_sim_mastercard_mac21', 'mastercard', '0021', decline('card_declined', 'do_not_honor', DECLINED, 'do_not_try_again', '05', { networkAdviceCode: '21' })),
  simulatorCard('pm_sim_mastercard_mac24', 'mastercard', '0024', decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.', 'try_again_later', '51', { networkAdviceCode: '24' })),
  // Simulator only: a soft decline code whose advice says stop (advice codes take precedence).
  simulatorCard('pm_sim_visa_do_not_try_again', 'visa', '0100', decline('card_declined', 'generic_decline', DECLINED, 'do_not_try_again', '05')),
  simulatorCard('pm_sim_mastercard_mac01', 'mastercard', '0001', decline('card_declined', 'generic_decline', DECLINED, 'confirm_card_data', '05', { networkAdviceCode: '01' })),
  {
    token: 'pm_sim_processing',
    type: 'us_bank_account',
    brand: 'STRIPE TEST BANK',
    last4: '6789',
    funding: 'unknown',
    outcome: { kind: 'processing' },
    attachesUnderStrict: true,
    simulatorOnly: true,
  },
];

export const TEST_PAYMENT_METHODS: ReadonlyMap<string, TestPaymentMethod> = new Map(TABLE.map((t) => [t.token, t]));

export function testPaymentMethod(token: string): TestPaymentMethod | undefined {
  return TEST_PAYMENT_METHODS.get(token);
}

/** The message and codes of an off-session authentication decline. */
export const AUTHENTICATION_REQUIRED: DeclineSignals = {
  code: 'authentication_required',
  declineCode: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
  adviceCode: null,
  // Visa's "additional customer authentication required".
  networkDeclineCode: '1A',
  networkAdviceCode: null,
  param: null,
};

/** Stripe's block past the network reattempt cap: not sent to the network. */
export const PREVIOUSLY_DECLINED: DeclineSignals = {
  code: 'card_declined',
  declineCode: 'previously_declined_do_not_retry',
  message: DECLINED,
  adviceCode: 'do_not_try_again',
  networkDeclineCode: null,
  networkAdviceCode: null,
  param: null,
};
