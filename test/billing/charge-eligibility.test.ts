import { strict as assert } from 'node:assert';
import { assessEligibility, isDue, type InvoiceForCharge } from '../../src/billing/charge-eligibility';

const invoice = (over: Partial<InvoiceForCharge> = {}): InvoiceForCharge => ({
  id: 1, status: 'pending', dueDate: new Date('2026-01-01T00:00:00Z'), amountCents: 5000, currency: 'usd',
  attemptCount: 0, customerId: 7, customer: { stripeCustomerId: 'cus_abc', stripePaymentMethodId: 'pm_card_visa' }, ...over,
});

describe('charge eligibility', () => {
  const table: Array<[string, Partial<InvoiceForCharge>, string]> = [
    ['chargeable', {}, 'chargeable'],
    ['no customer id on invoice', { customerId: null }, 'skip:no_customer'],
    ['missing customer row', { customer: undefined }, 'skip:customer_not_found'],
    ['no Stripe customer', { customer: { stripeCustomerId: null, stripePaymentMethodId: 'pm_card_visa' } }, 'skip:no_payment_method'],
    ['no payment method', { customer: { stripeCustomerId: 'cus_abc', stripePaymentMethodId: null } }, 'skip:no_payment_method'],
    ['empty ids', { customer: { stripeCustomerId: '', stripePaymentMethodId: '' } }, 'skip:no_payment_method'],
    ['SQL in customer id', { customer: { stripeCustomerId: "cus_1' OR '1'='1", stripePaymentMethodId: 'pm_card_visa' } }, 'invalid:invalid_customer_reference'],
    ['shell in payment method', { customer: { stripeCustomerId: 'cus_abc', stripePaymentMethodId: 'pm_x;rm -rf /' } }, 'invalid:invalid_payment_method_reference'],
    ['below minimum', { amountCents: 10 }, 'skip:amount_too_small'],
    ['negative amount', { amountCents: -1 }, 'invalid:invalid_amount'],
    ['unknown currency', { currency: 'zzz' }, 'invalid:invalid_currency'],
  ];
  for (const [name, over, expected] of table) {
    it(name, () => {
      const e = assessEligibility(invoice(over));
      assert.equal(e.kind === 'chargeable' ? 'chargeable' : `${e.kind}:${e.code}`, expected);
    });
  }

  it('normalises the currency it will send', () => {
    const e = assessEligibility(invoice({ currency: 'EUR' }));
    assert.equal(e.kind === 'chargeable' && e.request.currency, 'eur');
  });

  it('is due at or before asOf, never without a due date', () => {
    const asOf = new Date('2026-01-01T00:00:00Z');
    assert.equal(isDue(invoice(), asOf), true);
    assert.equal(isDue(invoice({ dueDate: new Date('2026-01-01T00:00:01Z') }), asOf), false);
    assert.equal(isDue(invoice({ dueDate: null }), asOf), false);
  });
});
