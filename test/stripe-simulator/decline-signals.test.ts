/** Decline signals (advice and network codes, param), new test cards, fingerprints, attach validation, Stripe's reattempt block. */
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { KEY, StripeCardError, client, newKey, rejectsWith, useSimulator } from './helpers';

interface Row {
  pm: string;
  code: string;
  declineCode: string;
  advice: string | undefined;
  network: string | undefined;
  mac?: string;
  param?: string;
}

const ROWS: Row[] = [
  { pm: 'pm_card_chargeDeclined', code: 'card_declined', declineCode: 'generic_decline', advice: 'try_again_later', network: '05' },
  { pm: 'pm_card_visa_chargeDeclinedInsufficientFunds', code: 'card_declined', declineCode: 'insufficient_funds', advice: 'try_again_later', network: '51' },
  { pm: 'pm_card_visa_chargeDeclinedLostCard', code: 'card_declined', declineCode: 'lost_card', advice: 'do_not_try_again', network: '41' },
  { pm: 'pm_card_visa_chargeDeclinedStolenCard', code: 'card_declined', declineCode: 'stolen_card', advice: 'do_not_try_again', network: '43' },
  { pm: 'pm_card_chargeDeclinedFraudulent', code: 'card_declined', declineCode: 'fraudulent', advice: 'do_not_try_again', network: '59' },
  { pm: 'pm_card_radarBlock', code: 'card_declined', declineCode: 'fraudulent', advice: 'do_not_try_again', network: undefined },
  { pm: 'pm_card_chargeDeclinedExpiredCard', code: 'expired_card', declineCode: 'expired_card', advice: 'confirm_card_data', network: '54', param: 'exp_month' },
  { pm: 'pm_card_chargeDeclinedIncorrectCvc', code: 'incorrect_cvc', declineCode: 'incorrect_cvc', advice: 'confirm_card_data', network: 'N7', param: 'cvc' },
  { pm: 'pm_card_threeDSecure2Required', code: 'authentication_required', declineCode: 'authentication_required', advice: undefined, network: '1A' },
  { pm: 'pm_card_authenticationRequiredChargeDeclinedInsufficientFunds', code: 'authentication_required', declineCode: 'authentication_required', advice: undefined, network: '1A' },
  { pm: 'pm_sim_mastercard_mac03', code: 'card_declined', declineCode: 'do_not_honor', advice: 'do_not_try_again', network: '05', mac: '03' },
  { pm: 'pm_sim_mastercard_mac24', code: 'card_declined', declineCode: 'insufficient_funds', advice: 'try_again_later', network: '51', mac: '24' },
];

const offSession = (stripe: Stripe, pm: string, customer?: string, key = newKey('d')) =>
  stripe.paymentIntents.create(
    { amount: 1000, currency: 'usd', payment_method: pm, confirm: true, off_session: true, ...(customer ? { customer } : {}) },
    { idempotencyKey: key },
  );

describe('stripe-simulator: decline signals', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000 });

  for (const row of ROWS) {
    it(`${row.pm} → ${row.code}/${row.declineCode}, advice ${row.advice ?? '-'}, network ${row.network ?? '-'}${row.mac ? `, MAC ${row.mac}` : ''}`, async () => {
      const err = await rejectsWith(offSession(stripe(), row.pm), StripeCardError);
      assert.equal(err.code, row.code);
      assert.equal(err.decline_code, row.declineCode);
      assert.equal(err.advice_code, row.advice);
      assert.equal(err.network_decline_code, row.network);
      assert.equal(err.network_advice_code, row.mac);
      assert.equal(err.param, row.param);
      const pi = err.payment_intent as Stripe.PaymentIntent;
      assert.equal(pi.last_payment_error?.advice_code, row.advice);
      assert.equal(pi.last_payment_error?.network_decline_code, row.network);
    });
  }

  for (const pm of ['pm_card_amex', 'pm_card_discover', 'pm_card_visa_debit', 'pm_card_mastercard_debit', 'pm_card_mastercard_prepaid', 'pm_card_diners', 'pm_card_jcb', 'pm_card_unionpay']) {
    it(`${pm} succeeds off-session`, async () => assert.equal((await offSession(stripe(), pm)).status, 'succeeded'));
  }

  it('pm_card_authenticationRequiredChargeDeclinedInsufficientFunds: authenticated on-session, then declined for insufficient funds', async () => {
    const pi = await stripe().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_authenticationRequiredChargeDeclinedInsufficientFunds', confirm: true });
    assert.equal(pi.status, 'requires_action');
    sim().completeAuthentication(pi.id, 'succeed');
    const after = await stripe().paymentIntents.retrieve(pi.id);
    assert.equal(after.status, 'requires_payment_method');
    assert.equal(after.last_payment_error?.decline_code, 'insufficient_funds');
    assert.equal(sim().ledger().filter((e) => e.paymentIntentId === pi.id).length, 0);
  });
});

describe('stripe-simulator: card fingerprints, brand and networks', () => {
  const { stripe } = useSimulator({ rateLimitPerSecond: 1000 });

  it('the same card saved twice has one fingerprint; another card has another', async () => {
    const a = await stripe().customers.create({});
    const b = await stripe().customers.create({});
    const pa = await stripe().paymentMethods.attach('pm_card_visa', { customer: a.id });
    const pb = await stripe().paymentMethods.attach('pm_card_visa', { customer: b.id });
    const pm = await stripe().paymentMethods.attach('pm_card_mastercard', { customer: a.id });
    assert.notEqual(pa.id, pb.id);
    assert.equal(pa.card?.fingerprint, pb.card?.fingerprint);
    assert.notEqual(pa.card?.fingerprint, pm.card?.fingerprint);
    assert.equal(pa.card?.brand, 'visa');
    assert.deepEqual(pa.card?.networks?.available, ['visa']);
    assert.equal(pm.card?.brand, 'mastercard');
    // Aliases of one test card number share the fingerprint; the Radar card is another number.
    const alias1 = await stripe().paymentMethods.retrieve('pm_card_chargeDeclinedInsufficientFunds');
    const alias2 = await stripe().paymentMethods.retrieve('pm_card_visa_chargeDeclinedInsufficientFunds');
    assert.equal(alias1.card?.fingerprint, alias2.card?.fingerprint);
    const fraud = await stripe().paymentMethods.retrieve('pm_card_chargeDeclinedFraudulent');
    const radar = await stripe().paymentMethods.retrieve('pm_card_radarBlock');
    assert.notEqual(fraud.card?.fingerprint, radar.card?.fingerprint);
  });
});

describe('stripe-simulator: declining cards are refused at attach as Stripe does (by default)', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000 });

  for (const pm of ['pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds', 'pm_card_visa_chargeDeclinedLostCard', 'pm_card_chargeDeclinedIncorrectCvc']) {
    it(`${pm} fails to attach with its decline`, async () => {
      const c = await stripe().customers.create({});
      const err = await rejectsWith(stripe().paymentMethods.attach(pm, { customer: c.id }), StripeCardError);
      assert.equal(err.statusCode, 402);
      assert.ok(err.decline_code);
      assert.ok(err.advice_code);
      await rejectsWith(stripe().customers.create({ payment_method: pm }), StripeCardError);
    });
  }

  it('pm_card_chargeCustomerFail and succeeding cards attach; seeding through sim.createCustomer still saves any test card', async () => {
    const c = await stripe().customers.create({});
    const failing = await stripe().paymentMethods.attach('pm_card_chargeCustomerFail', { customer: c.id });
    await rejectsWith(offSession(stripe(), failing.id, c.id), StripeCardError);
    assert.equal((await stripe().paymentMethods.attach('pm_card_authenticationRequired', { customer: c.id })).customer, c.id);
    const seeded = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
    const err = await rejectsWith(offSession(stripe(), seeded.paymentMethodId ?? '', seeded.customerId), StripeCardError);
    assert.equal(err.decline_code, 'insufficient_funds');
  });
});

describe('stripe-simulator: strictAttach: false lets declining cards attach', () => {
  const { stripe } = useSimulator({ rateLimitPerSecond: 1000, strictAttach: false });

  it('pm_card_chargeDeclined attaches and declines when charged', async () => {
    const c = await stripe().customers.create({});
    const pm = await stripe().paymentMethods.attach('pm_card_chargeDeclined', { customer: c.id });
    assert.equal(pm.customer, c.id);
    const err = await rejectsWith(offSession(stripe(), pm.id, c.id), StripeCardError);
    assert.equal(err.decline_code, 'generic_decline');
  });
});

describe("stripe-simulator: Stripe's block past the Visa reattempt cap", () => {
  const LIVE = 'sk_live_simulator';
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000, apiKeys: [KEY, LIVE] });

  it('live mode: the 16th attempt within 30 days on one Visa card is previously_declined_do_not_retry; 30 days later the card reaches the network again', async () => {
    sim().reset();
    const live = client(sim(), LIVE);
    // Two customers who saved the same card: one budget.
    const a = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclined' });
    const b = sim().createCustomer({ paymentMethod: 'pm_card_visa_chargeDeclined' });
    for (let i = 0; i < 15; i++) {
      const who = i % 2 === 0 ? a : b;
      const err = await rejectsWith(offSession(live, who.paymentMethodId ?? '', who.customerId), StripeCardError);
      assert.equal(err.decline_code, 'generic_decline', `attempt ${i + 1}`);
    }
    const blocked = await rejectsWith(offSession(live, a.paymentMethodId ?? '', a.customerId), StripeCardError);
    assert.equal(blocked.code, 'card_declined');
    assert.equal(blocked.decline_code, 'previously_declined_do_not_retry');
    assert.equal(blocked.advice_code, 'do_not_try_again');
    assert.equal(blocked.network_decline_code, undefined, 'not sent to the network');
    assert.equal(sim().stats().declineCapBlocks, 1);
    // Another card is unaffected.
    const other = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
    assert.equal((await rejectsWith(offSession(live, other.paymentMethodId ?? '', other.customerId), StripeCardError)).decline_code, 'insufficient_funds');
    sim().advanceClock(30 * 24 * 3600 * 1000);
    assert.equal((await rejectsWith(offSession(live, a.paymentMethodId ?? '', a.customerId), StripeCardError)).decline_code, 'generic_decline');
  });

  it('test mode is not capped by default (a sandbox reaches no network); appliesTo "all" caps it', async () => {
    sim().reset();
    const a = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclined' });
    for (let i = 0; i < 16; i++) {
      assert.equal((await rejectsWith(offSession(stripe(), a.paymentMethodId ?? '', a.customerId), StripeCardError)).decline_code, 'generic_decline');
    }
    sim().configure({ declineCaps: [{ network: 'visa', maxDeclines: 3, windowMs: 3_600_000, appliesTo: 'all' }] });
    sim().reset();
    const b = sim().createCustomer({ paymentMethod: 'pm_card_chargeDeclined' });
    for (let i = 0; i < 3; i++) await rejectsWith(offSession(stripe(), b.paymentMethodId ?? '', b.customerId), StripeCardError);
    assert.equal((await rejectsWith(offSession(stripe(), b.paymentMethodId ?? '', b.customerId), StripeCardError)).decline_code, 'previously_declined_do_not_retry');
  });
});

describe('stripe-simulator: idempotency keys are pruned after 24 h of simulator time', () => {
  const { sim, stripe } = useSimulator({ rateLimitPerSecond: 1000 });

  it('a key reused with other parameters after 24 h runs as a new request', async () => {
    const key = newKey('prune');
    await stripe().paymentIntents.create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, { idempotencyKey: key });
    await assert.rejects(stripe().paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, { idempotencyKey: key }), /same parameters/);
    sim().advanceClock(24 * 3600 * 1000);
    const again = await stripe().paymentIntents.create({ amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true }, { idempotencyKey: key });
    assert.equal(again.amount, 2000);
    assert.equal(sim().ledger().filter((e) => e.idempotencyKey === key).length, 2);
  });
});
