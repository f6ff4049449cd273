/** Advice codes first: the decision table for one decline, with the rule that fired. */
import { strict as assert } from 'node:assert';
import { classifyDeclineAdvice, DEFAULT_ADVICE_POLICY, type DeclineAction, type DeclineSignals } from '../../src/billing/decline-advice';
import { DAY_MS, HOUR_MS } from '../../src/billing/network-rules';

const at = new Date('2026-11-01T10:00:00Z');

interface Row {
  name: string;
  signals: DeclineSignals;
  action: DeclineAction;
  rule: string;
  /** For retry_not_before: delay after the decline. */
  delayMs?: number;
}

const TABLE: Row[] = [
  // Stripe's own block wins over everything, even a "try again later".
  { name: 'Stripe blocked (code)', signals: { code: 'card_declined', decline_code: 'previously_declined_do_not_retry', advice_code: 'try_again_later' }, action: 'never_retry', rule: 'stripe:previously_declined_do_not_retry' },
  { name: 'Stripe blocked (as code)', signals: { code: 'previously_declined_do_not_retry' }, action: 'never_retry', rule: 'stripe:previously_declined_do_not_retry' },
  // Visa category 1, whatever decline_code says.
  ...['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'].map((ndc): Row => ({
    name: `Visa ${ndc}`,
    signals: { code: 'card_declined', decline_code: 'generic_decline', network_decline_code: ndc, network: 'visa', advice_code: 'try_again_later' },
    action: 'never_retry',
    rule: `visa:never-retry-decline-code-${ndc}`,
  })),
  { name: 'Visa 51 (insufficient funds) is not category 1', signals: { code: 'card_declined', decline_code: 'insufficient_funds', network_decline_code: '51', network: 'visa', advice_code: 'try_again_later' }, action: 'retry_not_before', rule: 'advice:try_again_later', delayMs: DEFAULT_ADVICE_POLICY.tryAgainLaterMs },
  // Mastercard merchant advice codes.
  { name: 'MAC 03', signals: { code: 'card_declined', decline_code: 'generic_decline', network_advice_code: '03', network: 'mastercard' }, action: 'never_retry', rule: 'mastercard:never-retry-advice-code-03' },
  { name: 'MAC 21 beats try_again_later', signals: { code: 'card_declined', network_advice_code: '21', network: 'mastercard', advice_code: 'try_again_later' }, action: 'never_retry', rule: 'mastercard:never-retry-advice-code-21' },
  { name: 'MAC 01', signals: { code: 'card_declined', network_advice_code: '01', network: 'mastercard' }, action: 'wait_for_new_payment_method', rule: 'mastercard:advice-code-01' },
  { name: 'MAC 24', signals: { code: 'card_declined', network_advice_code: '24', network: 'mastercard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-24', delayMs: HOUR_MS },
  { name: 'MAC 25', signals: { code: 'card_declined', network_advice_code: '25', network: 'MasterCard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-25', delayMs: DAY_MS },
  { name: 'MAC 26', signals: { code: 'card_declined', network_advice_code: '26', network: 'mastercard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-26', delayMs: 2 * DAY_MS },
  { name: 'MAC 27', signals: { code: 'card_declined', network_advice_code: '27', network: 'mastercard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-27', delayMs: 4 * DAY_MS },
  { name: 'MAC 28', signals: { code: 'card_declined', network_advice_code: '28', network: 'mastercard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-28', delayMs: 6 * DAY_MS },
  { name: 'MAC 29', signals: { code: 'card_declined', network_advice_code: '29', network: 'mastercard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-29', delayMs: 8 * DAY_MS },
  { name: 'MAC 30', signals: { code: 'card_declined', network_advice_code: '30', network: 'mastercard' }, action: 'retry_not_before', rule: 'mastercard:advice-code-30', delayMs: 10 * DAY_MS },
  // A Mastercard code on a Visa card is not read as Mastercard advice.
  { name: 'MAC 03 on a Visa card: advice decides', signals: { code: 'card_declined', network_advice_code: '03', network: 'visa', advice_code: 'try_again_later' }, action: 'retry_not_before', rule: 'advice:try_again_later', delayMs: DEFAULT_ADVICE_POLICY.tryAgainLaterMs },
  // Unknown network: every table is read (refusing is the safe side).
  { name: 'network unknown, 43', signals: { code: 'card_declined', network_decline_code: '43' }, action: 'never_retry', rule: 'visa:never-retry-decline-code-43' },
  { name: 'network unknown, MAC 21', signals: { code: 'card_declined', network_advice_code: '21' }, action: 'never_retry', rule: 'mastercard:never-retry-advice-code-21' },
  // Stripe's advice codes beat decline_code.
  { name: 'do_not_try_again on a soft decline code', signals: { code: 'card_declined', decline_code: 'insufficient_funds', advice_code: 'do_not_try_again' }, action: 'never_retry', rule: 'advice:do_not_try_again' },
  { name: 'try_again_later on a generic decline', signals: { code: 'card_declined', decline_code: 'generic_decline', advice_code: 'try_again_later' }, action: 'retry_not_before', rule: 'advice:try_again_later', delayMs: DEFAULT_ADVICE_POLICY.tryAgainLaterMs },
  { name: 'confirm_card_data', signals: { code: 'incorrect_cvc', decline_code: 'incorrect_cvc', advice_code: 'confirm_card_data' }, action: 'wait_for_new_payment_method', rule: 'advice:confirm_card_data' },
  { name: 'try_again_later even on lost_card follows the advice', signals: { code: 'card_declined', decline_code: 'lost_card', advice_code: 'try_again_later' }, action: 'retry_not_before', rule: 'advice:try_again_later', delayMs: DEFAULT_ADVICE_POLICY.tryAgainLaterMs },
  // No advice: decline_code decides.
  { name: 'lost_card, no advice', signals: { code: 'card_declined', decline_code: 'lost_card' }, action: 'never_retry', rule: 'decline:lost_card' },
  { name: 'stolen_card, no advice', signals: { code: 'card_declined', decline_code: 'stolen_card' }, action: 'never_retry', rule: 'decline:stolen_card' },
  { name: 'fraudulent, no advice', signals: { code: 'card_declined', decline_code: 'fraudulent' }, action: 'never_retry', rule: 'decline:fraudulent' },
  { name: 'expired_card', signals: { code: 'expired_card', decline_code: 'expired_card' }, action: 'wait_for_new_payment_method', rule: 'decline:expired_card' },
  { name: 'authentication_required (code only)', signals: { code: 'authentication_required' }, action: 'wait_for_new_payment_method', rule: 'decline:authentication_required' },
  { name: 'processing_error', signals: { code: 'processing_error', decline_code: 'processing_error' }, action: 'retry_not_before', rule: 'decline:processing_error', delayMs: DEFAULT_ADVICE_POLICY.processingErrorDelayMs },
  { name: 'insufficient_funds, no advice', signals: { code: 'card_declined', decline_code: 'insufficient_funds' }, action: 'retry_not_before', rule: 'decline:insufficient_funds', delayMs: 0 },
  { name: 'empty strings are absent', signals: { code: 'card_declined', decline_code: 'generic_decline', advice_code: '', network_advice_code: '', network_decline_code: '' }, action: 'retry_not_before', rule: 'decline:generic_decline', delayMs: 0 },
];

describe('decline advice: advice codes first', () => {
  for (const row of TABLE) {
    it(`${row.name} → ${row.action} (${row.rule})`, () => {
      const d = classifyDeclineAdvice(row.signals, at);
      assert.equal(d.action, row.action);
      assert.equal(d.rule, row.rule);
      assert.ok(d.reason.length > 0);
      if (row.action === 'retry_not_before') {
        assert.equal(d.notBefore?.getTime(), at.getTime() + (row.delayMs ?? -1));
      } else {
        assert.equal(d.notBefore, undefined);
      }
    });
  }

  it('records the normalised inputs for explanations', () => {
    const d = classifyDeclineAdvice({ code: 'card_declined', decline_code: 'generic_decline', network_advice_code: '25', network: 'MasterCard', advice_code: '' }, at);
    assert.deepEqual(d.inputs, {
      code: 'card_declined',
      decline_code: 'generic_decline',
      advice_code: null,
      network_advice_code: '25',
      network_decline_code: null,
      network: 'mastercard',
    });
  });

  it('takes the try_again_later delay from the policy', () => {
    const d = classifyDeclineAdvice({ code: 'card_declined', advice_code: 'try_again_later' }, at, undefined, { ...DEFAULT_ADVICE_POLICY, tryAgainLaterMs: 3 * HOUR_MS });
    assert.equal(d.notBefore?.toISOString(), '2026-11-01T13:00:00.000Z');
  });
});
