import { strict as assert } from 'node:assert';
import { cardLimitReached, classifyDecline, DEFAULT_DUNNING_POLICY, planRetry } from '../../src/billing/dunning';

const DAY = 86_400_000;
const first = new Date('2026-11-01T10:00:00Z');

describe('dunning policy', () => {
  const classes: Array<[string, string | null, string]> = [
    ['card_declined', 'insufficient_funds', 'soft'],
    ['card_declined', 'generic_decline', 'soft'],
    ['processing_error', 'processing_error', 'soft'],
    ['card_declined', 'card_velocity_exceeded', 'soft'],
    ['card_declined', 'lost_card', 'hard'],
    ['card_declined', 'stolen_card', 'hard'],
    ['card_declined', 'pickup_card', 'hard'],
    ['incorrect_number', null, 'hard'],
    ['expired_card', 'expired_card', 'hard'],
    ['authentication_required', 'authentication_required', 'hard'],
    ['card_declined', 'highest_risk_level', 'hard'],
    ['card_declined', 'revocation_of_all_authorizations', 'hard'],
    ['payment_intent_authentication_failure', null, 'hard'],
    ['invalid_amount', null, 'not_a_decline'],
    ['resource_missing', null, 'not_a_decline'],
  ];
  for (const [code, decline, expected] of classes) {
    it(`${code}/${decline ?? '-'} is ${expected}`, () => assert.equal(classifyDecline(code, decline), expected));
  }

  it('schedules soft declines on days 1, 3, 5, 7, 10 and 14 after the first failure', () => {
    const days = [1, 2, 3, 4, 5, 6].map((attempts) => {
      const plan = planRetry({ code: 'card_declined', declineCode: 'insufficient_funds', firstFailedAt: first, chargeAttempts: attempts });
      assert.equal(plan.kind, 'retry_at');
      return plan.kind === 'retry_at' ? (plan.at.getTime() - first.getTime()) / DAY : -1;
    });
    assert.deepEqual(days, [1, 3, 5, 7, 10, 14]);
  });

  it('stops after the schedule or the attempt cap, and at once on hard declines', () => {
    assert.deepEqual(planRetry({ code: 'card_declined', declineCode: 'generic_decline', firstFailedAt: first, chargeAttempts: 7 }), { kind: 'stop', reason: 'attempts_exhausted' });
    assert.deepEqual(
      planRetry({ code: 'card_declined', declineCode: 'generic_decline', firstFailedAt: first, chargeAttempts: 3 }, { ...DEFAULT_DUNNING_POLICY, maxAttempts: 3 }),
      { kind: 'stop', reason: 'attempts_exhausted' },
    );
    assert.deepEqual(planRetry({ code: 'card_declined', declineCode: 'stolen_card', firstFailedAt: first, chargeAttempts: 1 }), { kind: 'stop', reason: 'hard_decline' });
    assert.deepEqual(planRetry({ code: 'invalid_currency', firstFailedAt: first, chargeAttempts: 0 }), { kind: 'stop', reason: 'not_retryable' });
  });

  it('caps retries per card at 15 in 30 days', () => {
    assert.equal(cardLimitReached(14), false);
    assert.equal(cardLimitReached(15), true);
  });
});
