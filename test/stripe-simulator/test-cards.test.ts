/** Every test payment method, as a raw token and attached to a customer, through the official SDK. */
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { StripeCardError, admin, rejectsWith, useSimulator } from './helpers';

type Row =
  | { pm: string; expect: 'succeeded' | 'processing' }
  | { pm: string; expect: 'decline'; code: string; declineCode: string; message: string };

const DECLINED = 'Your card was declined.';

/** The table in shared/notes/stripe-behaviour.md, plus the simulator-only pm_sim_processing. */
const TABLE: Row[] = [
  { pm: 'pm_card_visa', expect: 'succeeded' },
  { pm: 'pm_card_mastercard', expect: 'succeeded' },
  { pm: 'pm_card_chargeDeclined', expect: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
  { pm: 'pm_card_visa_chargeDeclined', expect: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
  {
    pm: 'pm_card_chargeDeclinedInsufficientFunds',
    expect: 'decline',
    code: 'card_declined',
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  { pm: 'pm_card_chargeDeclinedLostCard', expect: 'decline', code: 'card_declined', declineCode: 'lost_card', message: DECLINED },
  { pm: 'pm_card_chargeDeclinedStolenCard', expect: 'decline', code: 'card_declined', declineCode: 'stolen_card', message: DECLINED },
  {
    pm: 'pm_card_chargeDeclinedExpiredCard',
    expect: 'decline',
    code: 'expired_card',
    declineCode: 'expired_card',
    message: 'Your card has expired.',
  },
  {
    pm: 'pm_card_chargeDeclinedIncorrectCvc',
    expect: 'decline',
    code: 'incorrect_cvc',
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  {
    pm: 'pm_card_chargeDeclinedProcessingError',
    expect: 'decline',
    code: 'processing_error',
    declineCode: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
  {
    pm: 'pm_card_visa_chargeDeclinedVelocityLimitExceeded',
    expect: 'decline',
    code: 'card_declined',
    declineCode: 'card_velocity_exceeded',
    message: 'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
  },
  {
    pm: 'pm_card_authenticationRequired',
    expect: 'decline',
    code: 'authentication_required',
    declineCode: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
  { pm: 'pm_card_authenticationRequiredSetupForOffSession', expect: 'succeeded' },
  { pm: 'pm_card_chargeCustomerFail', expect: 'decline', code: 'card_declined', declineCode: 'generic_decline', message: DECLINED },
  { pm: 'pm_sim_processing', expect: 'processing' },
];

/** Documented to attach: pm_card_chargeCustomerFail declines only when charged; 3-D Secure cards attach. */
const ATTACHES_THEN_DECLINES = new Set(['pm_card_chargeCustomerFail', 'pm_card_authenticationRequired']);

describe('stripe-simulator: test payment methods (off-session, confirm=true)', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000 });
  let invoice = 0;

  for (const mode of ['raw token', 'attached to a customer'] as const) {
    describe(mode, () => {
      for (const row of TABLE) {
        it(`${row.pm} → ${row.expect === 'decline' ? `402 ${row.code}/${row.declineCode}` : row.expect}`, async () => {
          invoice += 1;
          const invoiceId = `inv-${invoice}`;
          let customer: string | undefined;
          let paymentMethod = row.pm;
          if (mode === 'attached to a customer') {
            const create = () => stripe().customers.create({
              email: 'payer@example.com',
              payment_method: row.pm,
              invoice_settings: { default_payment_method: row.pm },
            });
            if (row.expect === 'decline' && !ATTACHES_THEN_DECLINES.has(row.pm)) {
              // Stripe validates a card on attach: a declining card is refused with its decline
              // and nothing is created; seeding saves it (a card that began declining later).
              const refused = await rejectsWith(create(), StripeCardError);
              assert.equal(refused.statusCode, 402);
              assert.equal(refused.code, row.code);
              assert.equal(refused.decline_code, row.declineCode);
              const seeded = sim().createCustomer({ email: 'payer@example.com', paymentMethod: row.pm });
              customer = seeded.customerId;
              paymentMethod = seeded.paymentMethodId ?? '';
            } else {
              const c = await create();
              customer = c.id;
              paymentMethod = c.invoice_settings.default_payment_method as string;
            }
            assert.match(paymentMethod, /^pm_[A-Za-z0-9]{24}$/, 'attaching a token creates a new pm_…');
            const pm = await stripe().paymentMethods.retrieve(paymentMethod);
            assert.equal(pm.customer, customer);
          }
          const params: Stripe.PaymentIntentCreateParams = {
            amount: 2000,
            currency: 'usd',
            payment_method: paymentMethod,
            off_session: true,
            confirm: true,
            metadata: { invoice_id: invoiceId },
            description: `Invoice ${invoiceId}`,
            ...(customer ? { customer } : {}),
          };

          if (row.expect === 'decline') {
            const err = await rejectsWith(stripe().paymentIntents.create(params), StripeCardError);
            assert.equal(err.statusCode, 402);
            assert.equal(err.rawType, 'card_error');
            assert.equal(err.code, row.code);
            assert.equal(err.decline_code, row.declineCode);
            assert.equal(err.message, row.message);
            assert.match(err.charge ?? '', /^ch_/);
            assert.match(err.requestId ?? '', /^req_/);
            assert.equal(err.doc_url, `https://stripe.com/docs/error-codes/${row.code.replace(/_/g, '-')}`);
            assert.match(err.request_log_url ?? '', new RegExp(`/logs/${err.requestId}`));
            const pi = err.payment_intent as Stripe.PaymentIntent;
            assert.equal(pi.status, 'requires_payment_method');
            assert.equal(pi.payment_method, null, 'Stripe clears payment_method after a failed attempt');
            assert.equal(pi.amount_received, 0);
            assert.equal(pi.latest_charge, err.charge);
            assert.equal(pi.last_payment_error?.code, row.code);
            assert.equal(pi.last_payment_error?.decline_code, row.declineCode);
            const failedPm = pi.last_payment_error?.payment_method?.id ?? '';
            if (customer) assert.equal(failedPm, paymentMethod);
            else assert.match(failedPm, /^pm_[A-Za-z0-9]{24}$/, 'a raw token is turned into a fresh pm_…');
            assert.deepEqual(pi.metadata, { invoice_id: invoiceId });
            // The declined intent exists and can be found again.
            const again = await stripe().paymentIntents.retrieve(pi.id);
            assert.equal(again.status, 'requires_payment_method');
            assert.ok(!sim().ledger().some((e) => e.metadata.invoice_id === invoiceId), 'no ledger entry for a decline');
            return;
          }

          const pi = await stripe().paymentIntents.create(params);
          assert.equal(pi.object, 'payment_intent');
          assert.match(pi.id, /^pi_/);
          assert.equal(pi.status, row.expect);
          assert.equal(pi.livemode, false);
          assert.equal(pi.amount, 2000);
          assert.equal(pi.currency, 'usd');
          assert.equal(pi.customer, customer ?? null);
          assert.deepEqual(pi.metadata, { invoice_id: invoiceId });
          assert.equal(pi.last_payment_error, null);
          assert.equal(pi.next_action, null);
          assert.match(pi.client_secret ?? '', new RegExp(`^${pi.id}_secret_`));
          assert.equal(typeof pi.created, 'number');
          assert.match(pi.lastResponse.requestId ?? '', /^req_/);
          const ledger = sim().ledger().filter((e) => e.metadata.invoice_id === invoiceId);
          if (row.expect === 'succeeded') {
            assert.equal(pi.amount_received, 2000);
            assert.match(pi.latest_charge as string, /^ch_/);
            assert.equal(ledger.length, 1);
            assert.equal(ledger[0]?.paymentIntentId, pi.id);
            assert.equal(ledger[0]?.chargeId, pi.latest_charge);
          } else {
            assert.equal(pi.amount_received, 0);
            assert.match(pi.latest_charge as string, /^py_/);
            assert.equal(ledger.length, 0, 'processing is not a succeeded charge yet');
          }
        });
      }
    });
  }

  describe('on-session (confirm without off_session)', () => {
    it('pm_card_authenticationRequired → 200 requires_action with use_stripe_sdk; completing 3DS succeeds', async () => {
      const pi = await stripe().paymentIntents.create({
        amount: 1500,
        currency: 'eur',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        metadata: { invoice_id: '3ds-ok' },
      });
      assert.equal(pi.status, 'requires_action');
      assert.equal(pi.next_action?.type, 'use_stripe_sdk');
      assert.equal(pi.latest_charge, null);
      await admin(sim(), 'POST', `/_sim/payment_intents/${pi.id}/authenticate`, { outcome: 'succeed' });
      const done = await stripe().paymentIntents.retrieve(pi.id);
      assert.equal(done.status, 'succeeded');
      assert.equal(sim().ledger().filter((e) => e.paymentIntentId === pi.id).length, 1);
    });

    it('a failed 3DS challenge leaves the intent requires_payment_method', async () => {
      const pi = await stripe().paymentIntents.create({
        amount: 1500,
        currency: 'eur',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
      });
      sim().completeAuthentication(pi.id, 'fail');
      const failed = await stripe().paymentIntents.retrieve(pi.id);
      assert.equal(failed.status, 'requires_payment_method');
      assert.equal(failed.last_payment_error?.code, 'payment_intent_authentication_failure');
    });

    it('pm_card_authenticationRequiredSetupForOffSession needs authentication on-session', async () => {
      const pi = await stripe().paymentIntents.create({
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequiredSetupForOffSession',
        confirm: true,
      });
      assert.equal(pi.status, 'requires_action');
    });
  });

  describe('processing (pm_sim_processing)', () => {
    it('settles to succeeded, which adds the charge to the ledger', async () => {
      const pi = await stripe().paymentIntents.create({
        amount: 5000,
        currency: 'usd',
        payment_method: 'pm_sim_processing',
        confirm: true,
        off_session: true,
      });
      assert.equal(pi.status, 'processing');
      await admin(sim(), 'POST', `/_sim/payment_intents/${pi.id}/settle`, { outcome: 'succeed' });
      const done = await stripe().paymentIntents.retrieve(pi.id);
      assert.equal(done.status, 'succeeded');
      assert.equal(done.latest_charge, pi.latest_charge);
      assert.equal(sim().ledger().filter((e) => e.paymentIntentId === pi.id).length, 1);
    });

    it('settles to failed', async () => {
      const pi = await stripe().paymentIntents.create({ amount: 5000, currency: 'usd', payment_method: 'pm_sim_processing', confirm: true });
      sim().settleProcessing(pi.id, 'fail');
      const failed = await stripe().paymentIntents.retrieve(pi.id);
      assert.equal(failed.status, 'requires_payment_method');
      assert.ok(failed.last_payment_error);
    });
  });
});
