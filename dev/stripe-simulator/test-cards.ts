/**
 * Test payment methods (https://stripe.com/docs/testing). A token such as `pm_card_visa` can be
 * used directly as `payment_method`, or attached to a customer, which creates a new `pm_…` that
 * keeps the token's behaviour.
 */

export type ChargeOutcome =
  /** The charge succeeds. */
  | { kind: 'succeed' }
  /** 402 card_error on every charge. */
  | { kind: 'decline'; code: string; declineCode: string; message: string }
  /**
   * The card wants 3-D Secure. On-session confirmation returns `requires_action`; off-session it
   * declines with `authentication_required` unless `offSession` is 'succeed' (card set up for
   * off-session use, like pm_card_authenticationRequiredSetupForOffSession).
   */
  | { kind: 'authenticate'; offSession: 'decline' | 'succeed' }
  /** Asynchronous method (bank debit): the PaymentIntent stays `processing` until settled. */
  | { kind: 'processing' };

export interface TestPaymentMethod {
  token: string;
  type: 'card' | 'us_bank_account';
  brand: string;
  last4: string;
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

function decline(code: string, declineCode: string, message: string): ChargeOutcome {
  return { kind: 'decline', code, declineCode, message };
}

function card(
  token: string,
  brand: string,
  last4: string,
  outcome: ChargeOutcome = { kind: 'succeed' },
  funding: TestPaymentMethod['funding'] = 'credit',
): TestPaymentMethod {
  return { token, type: 'card', brand, last4, funding, outcome, attachesUnderStrict: outcome.kind !== 'decline' };
}

const TABLE: TestPaymentMethod[] = [
  card('pm_card_visa', 'visa', '4242'),
  card('pm_card_visa_debit', 'visa', '5556', undefined, 'debit'),
  card('pm_card_mastercard', 'mastercard', '4444'),
  card('pm_card_mastercard_debit', 'mastercard', '8210', undefined, 'debit'),
  card('pm_card_amex', 'amex', '8431'),
  card('pm_card_discover', 'discover', '1117'),
  card('pm_card_chargeDeclined', 'visa', '0002', decline('card_declined', 'generic_decline', DECLINED)),
  card('pm_card_visa_chargeDeclined', 'visa', '0002', decline('card_declined', 'generic_decline', DECLINED)),
  card(
    'pm_card_chargeDeclinedInsufficientFunds',
    'visa',
    '9995',
    decline('card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  ),
  card('pm_card_chargeDeclinedLostCard', 'visa', '9987', decline('card_declined', 'lost_card', DECLINED)),
  card('pm_card_chargeDeclinedStolenCard', 'visa', '9979', decline('card_declined', 'stolen_card', DECLINED)),
  card('pm_card_chargeDeclinedExpiredCard', 'visa', '0069', decline('expired_card', 'expired_card', 'Your card has expired.')),
  card(
    'pm_card_chargeDeclinedIncorrectCvc',
    'visa',
    '0127',
    decline('incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."),
  ),
  card(
    'pm_card_chargeDeclinedProcessingError',
    'visa',
    '0119',
    decline('processing_error', 'processing_error', 'An error occurred while processing your card. Try again in a little bit.'),
  ),
  card(
    'pm_card_visa_chargeDeclinedVelocityLimitExceeded',
    'visa',
    '6975',
    decline(
      'card_declined',
      'card_velocity_exceeded',
      'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
    ),
  ),
  card('pm_card_authenticationRequired', 'visa', '3184', { kind: 'authenticate', offSession: 'decline' }),
  card('pm_card_authenticationRequiredSetupForOffSession', 'visa', '3155', { kind: 'authenticate', offSession: 'succeed' }),
  {
    ...card('pm_card_chargeCustomerFail', 'visa', '0341', decline('card_declined', 'generic_decline', DECLINED)),
    attachesUnderStrict: true,
  },
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
export const AUTHENTICATION_REQUIRED = {
  code: 'authentication_required',
  declineCode: 'authentication_required',
  message: 'Your card was declined. This transaction requires authentication.',
} as const;
