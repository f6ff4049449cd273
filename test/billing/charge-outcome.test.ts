import { strict as assert } from 'node:assert';
import Stripe from 'stripe';
import { decideFromPaymentIntent, decideFromStripeError, type ChargeDecision } from '../../src/billing/charge-outcome';

type Raw = ConstructorParameters<typeof Stripe.errors.StripeError>[0];
const declinedIntent = (code: string, decline?: string) => ({
  id: 'pi_123', object: 'payment_intent', status: 'requires_payment_method',
  last_payment_error: { code, decline_code: decline, message: 'declined', type: 'card_error' },
});

describe('charge outcome: Stripe error → decision', () => {
  const cases: Array<[string, Stripe.errors.StripeError, Partial<ChargeDecision>]> = [
    ['card declined', new Stripe.errors.StripeCardError({ type: 'card_error', statusCode: 402, code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.', payment_intent: declinedIntent('card_declined', 'insufficient_funds') } as Raw),
      { kind: 'failed', code: 'card_declined', declineCode: 'insufficient_funds', paymentIntentId: 'pi_123' }],
    ['expired card', new Stripe.errors.StripeCardError({ type: 'card_error', statusCode: 402, code: 'expired_card', message: 'Your card has expired.' }),
      { kind: 'failed', code: 'expired_card' }],
    ['authentication required (code)', new Stripe.errors.StripeCardError({ type: 'card_error', statusCode: 402, code: 'authentication_required', message: 'This transaction requires authentication.', payment_intent: declinedIntent('authentication_required') } as Raw),
      { kind: 'requires_auth', paymentIntentId: 'pi_123' }],
    ['authentication required (decline_code only)', new Stripe.errors.StripeCardError({ type: 'card_error', statusCode: 402, code: 'card_declined', decline_code: 'authentication_required', message: 'x' }),
      { kind: 'requires_auth' }],
    ['invalid key 401', new Stripe.errors.StripeAuthenticationError({ type: 'invalid_request_error', statusCode: 401, message: 'Invalid API Key provided: sk_test_****1234' }),
      { kind: 'systemic' }],
    ['permission 403', new Stripe.errors.StripePermissionError({ type: 'invalid_request_error', statusCode: 403, message: 'no permission' }),
      { kind: 'systemic' }],
    ['rate limit 429', new Stripe.errors.StripeRateLimitError({ type: 'invalid_request_error', statusCode: 429, code: 'rate_limit', message: 'slow down' }),
      { kind: 'retry' }],
    ['lock timeout 429', new Stripe.errors.StripeRateLimitError({ type: 'invalid_request_error', statusCode: 429, code: 'lock_timeout', message: 'contention' }),
      { kind: 'retry' }],
    ['key in use 409', new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', statusCode: 409, code: 'idempotency_key_in_use', message: 'in use' }),
      { kind: 'retry' }],
    ['connection error', new Stripe.errors.StripeConnectionError({ type: 'api_error', message: 'socket hang up' }),
      { kind: 'retry' }],
    ['server error 500', new Stripe.errors.StripeAPIError({ type: 'api_error', statusCode: 500, message: 'oops' }),
      { kind: 'look_up' }],
    ['amount too small', new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', statusCode: 400, code: 'amount_too_small', message: 'too small' }),
      { kind: 'skipped', code: 'amount_too_small' }],
    ['amount too large', new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', statusCode: 400, code: 'amount_too_large', message: 'too large' }),
      { kind: 'failed', code: 'amount_too_large' }],
    ['unknown customer', new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', statusCode: 400, code: 'resource_missing', message: "No such customer: 'cus_x'" }),
      { kind: 'failed', code: 'resource_missing' }],
    ['idempotency mismatch', new Stripe.errors.StripeIdempotencyError({ type: 'idempotency_error', statusCode: 400, message: 'Keys for idempotent requests can only be used with the same parameters' }),
      { kind: 'look_up' }],
  ];
  for (const [name, error, expected] of cases) {
    it(name, () => {
      const decision = decideFromStripeError(error);
      for (const [key, value] of Object.entries(expected)) {
        assert.equal((decision as Record<string, unknown>)[key], value, `${key} of ${JSON.stringify(decision)}`);
      }
    });
  }

  it('never echoes a secret key from a 401 message', () => {
    const d = decideFromStripeError(new Stripe.errors.StripeAuthenticationError({ type: 'invalid_request_error', statusCode: 401, message: 'Invalid API Key provided: sk_test_abcdefgh' }));
    assert.equal(d.kind, 'systemic');
    assert.ok(!('message' in d && d.message.includes('sk_test_abcdefgh')));
  });
});

describe('charge outcome: PaymentIntent status → decision', () => {
  const table: Array<[string, Parameters<typeof decideFromPaymentIntent>[0], ChargeDecision['kind']]> = [
    ['succeeded', { id: 'pi_1', status: 'succeeded' }, 'paid'],
    ['processing', { id: 'pi_1', status: 'processing' }, 'processing'],
    ['requires_action', { id: 'pi_1', status: 'requires_action' }, 'requires_auth'],
    ['declined', { id: 'pi_1', status: 'requires_payment_method', last_payment_error: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' } }, 'failed'],
    ['needs authentication', { id: 'pi_1', status: 'requires_payment_method', last_payment_error: { code: 'authentication_required' } }, 'requires_auth'],
    ['canceled', { id: 'pi_1', status: 'canceled' }, 'failed'],
  ];
  for (const [name, intent, kind] of table) {
    it(name, () => assert.equal(decideFromPaymentIntent(intent).kind, kind));
  }
});
