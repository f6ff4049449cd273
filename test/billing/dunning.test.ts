import { strict as assert } from 'node:assert';
import { DEFAULT_DUNNING_POLICY } from '../../src/billing/dunning';
import { decideAfterFailure, decideRetryBudget, DEFAULT_DUNNING_RULES, failureSignals, type FailureSignals } from '../../src/billing/dunning-decision';
import { DAY_MS, HOUR_MS } from '../../src/billing/network-rules';

const DAY = 86_400_000;
const first = new Date('2026-11-01T10:00:00Z');
const after = (ms: number) => new Date(first.getTime() + ms);
const decide = (f: FailureSignals, chargeAttempts = 1, now = first) => decideAfterFailure(f, { firstFailedAt: first, now, chargeAttempts });

describe('dunning decisions, advice codes first', () => {
  const rows: Array<{ name: string; f: FailureSignals; action: string; rule: string; stopped?: string | null; next?: number }> = [
    { name: 'insufficient funds, no advice: the schedule', f: { code: 'card_declined', declineCode: 'insufficient_funds' }, action: 'retry_at', rule: 'schedule:day-1', next: DAY },
    { name: 'try_again_later within the schedule: the schedule', f: { code: 'card_declined', declineCode: 'generic_decline', adviceCode: 'try_again_later' }, action: 'retry_at', rule: 'schedule:day-1', next: DAY },
    { name: 'do_not_try_again overrides a soft decline code', f: { code: 'card_declined', declineCode: 'generic_decline', adviceCode: 'do_not_try_again' }, action: 'stop', rule: 'advice:do_not_try_again', stopped: 'hard_decline' },
    { name: 'Visa category 1 (41) never', f: { code: 'card_declined', declineCode: 'generic_decline', networkDeclineCode: '41', network: 'visa' }, action: 'stop', rule: 'visa:never-retry-decline-code-41', stopped: 'hard_decline' },
    { name: 'Mastercard MAC 03 never', f: { code: 'card_declined', declineCode: 'insufficient_funds', adviceCode: 'try_again_later', networkAdviceCode: '03', network: 'mastercard' }, action: 'stop', rule: 'mastercard:never-retry-advice-code-03', stopped: 'hard_decline' },
    { name: 'Mastercard MAC 21 never', f: { code: 'card_declined', networkAdviceCode: '21', network: 'mastercard' }, action: 'stop', rule: 'mastercard:never-retry-advice-code-21', stopped: 'hard_decline' },
    { name: 'previously_declined_do_not_retry: hard stop', f: { code: 'card_declined', declineCode: 'previously_declined_do_not_retry' }, action: 'stop', rule: 'stripe:previously_declined_do_not_retry', stopped: 'hard_decline' },
    { name: 'confirm_card_data waits for a new payment method', f: { code: 'card_declined', declineCode: 'generic_decline', adviceCode: 'confirm_card_data' }, action: 'wait_for_new_payment_method', rule: 'advice:confirm_card_data', stopped: 'needs_new_payment_method' },
    { name: 'lost card without advice: never', f: { code: 'card_declined', declineCode: 'lost_card' }, action: 'stop', rule: 'decline:lost_card', stopped: 'hard_decline' },
    { name: 'expired card without advice: new payment method', f: { code: 'expired_card', declineCode: 'expired_card' }, action: 'wait_for_new_payment_method', rule: 'decline:expired_card', stopped: 'needs_new_payment_method' },
    { name: 'not a decline: stop', f: { code: 'invalid_currency' }, action: 'stop', rule: 'not-a-decline:invalid_currency', stopped: 'not_retryable' },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const d = decide(row.f);
      assert.equal(d.action, row.action);
      assert.equal(d.rule, row.rule);
      assert.equal(d.stoppedReason, row.stopped ?? null);
      assert.equal(d.nextAttemptAt?.getTime() ?? null, row.next === undefined ? null : after(row.next).getTime());
      assert.equal(d.inputs.code, row.f.code, 'the inputs are kept with the decision');
    });
  }

  it('MAC 24–30 and try_again_later set the retry no earlier than advised, when that is later than the schedule', () => {
    const mac30 = decide({ code: 'card_declined', declineCode: 'insufficient_funds', networkAdviceCode: '30', network: 'mastercard' });
    assert.equal(mac30.rule, 'mastercard:advice-code-30');
    assert.equal(mac30.nextAttemptAt?.getTime(), after(10 * DAY_MS).getTime());
    assert.equal(mac30.inputs.scheduled_at, after(DAY).toISOString());
    // Retry 3 is due on day 5; a decline on day 4.9 with "try again later" (24 h) moves it to day 5.9.
    const late = decide({ code: 'card_declined', adviceCode: 'try_again_later' }, 3, after(4.9 * DAY));
    assert.equal(late.rule, 'advice:try_again_later');
    assert.equal(late.nextAttemptAt?.getTime(), after(5.9 * DAY).getTime());
    // MAC 24 (1 h) is earlier than the schedule: the schedule decides, the advice is in the inputs.
    const mac24 = decide({ code: 'card_declined', networkAdviceCode: '24', network: 'mastercard' });
    assert.equal(mac24.rule, 'schedule:day-1');
    assert.equal(mac24.inputs.advice_rule, 'mastercard:advice-code-24');
    assert.equal(mac24.inputs.advised_not_before, after(HOUR_MS).toISOString());
  });

  it('schedules soft declines on days 1, 3, 5, 7, 10 and 14, then stops (attempt cap configurable)', () => {
    const days = [1, 2, 3, 4, 5, 6].map((n) => ((decide({ code: 'card_declined', declineCode: 'insufficient_funds' }, n).nextAttemptAt?.getTime() ?? 0) - first.getTime()) / DAY);
    assert.deepEqual(days, [1, 3, 5, 7, 10, 14]);
    const exhausted = decide({ code: 'card_declined', declineCode: 'generic_decline' }, 7);
    assert.equal(exhausted.rule, 'schedule:attempts-exhausted');
    assert.equal(exhausted.stoppedReason, 'attempts_exhausted');
    const capped = decideAfterFailure({ code: 'card_declined' }, { firstFailedAt: first, now: first, chargeAttempts: 3 },
      { ...DEFAULT_DUNNING_RULES, policy: { ...DEFAULT_DUNNING_POLICY, maxAttempts: 3 } });
    assert.equal(capped.stoppedReason, 'attempts_exhausted');
  });

  it('a retry over a budget is postponed to when the window allows, with the counts that decided', () => {
    const prior = Array.from({ length: 10 }, (_, i) => after(i * HOUR_MS));
    const d = decideRetryBudget({ network: 'mastercard', cardFingerprint: 'fp', priorAttempts: prior, proposedAt: after(12 * HOUR_MS) });
    assert.equal(d.action, 'postpone');
    assert.equal(d.rule, 'budget:mastercard-24h');
    assert.equal(d.nextAttemptAt?.getTime(), after(DAY_MS).getTime());
    assert.deepEqual(d.inputs.budgets?.map((b) => [b.budget, b.used, b.maxAttempts]), [['mastercard-24h', 10, 10], ['mastercard-30d', 10, 35]]);
    assert.match(d.reason, /10 of 10 attempts on this card in 24 h/);
    const ok = decideRetryBudget({ network: 'mastercard', cardFingerprint: 'fp', priorAttempts: prior.slice(1), proposedAt: after(12 * HOUR_MS) });
    assert.equal(ok.action, 'send');
  });

  it('reads the card of a failure from the decline, else from the attempt', () => {
    const f = failureSignals({ code: 'card_declined', details: { adviceCode: 'try_again_later' } }, { cardFingerprint: 'fpA', cardNetwork: 'visa' });
    assert.deepEqual([f.adviceCode, f.cardFingerprint, f.network], ['try_again_later', 'fpA', 'visa']);
    const g = failureSignals({ code: 'card_declined', details: { cardFingerprint: 'fpB', cardNetwork: 'mastercard' } }, { cardFingerprint: 'fpA', cardNetwork: 'visa' });
    assert.deepEqual([g.cardFingerprint, g.network], ['fpB', 'mastercard']);
  });
});
