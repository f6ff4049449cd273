/**
 * Step 2 of a charge: talk to Stripe about one attempt and turn the answer into a decision.
 * Never guesses: an unknown outcome is re-sent with the same key, or looked up.
 */
import Stripe from 'stripe';
import { decideFromPaymentIntent, decideFromReadError, decideFromStripeError, type ChargeDecision } from '../billing/charge-outcome';
import { paymentIntentParams, type StoredChargeAttempt } from './charge-request';
import type { ActivityDeps } from './deps';

export async function sendAttempt(deps: ActivityDeps, attempt: StoredChargeAttempt): Promise<ChargeDecision> {
  const age = deps.clock().getTime() - attempt.startedAt.getTime();
  if (age > deps.keyRetentionMs) {
    // Stripe may have forgotten the key: a re-send could charge a second time. Look it up instead.
    return findAttemptPaymentIntent(deps, attempt);
  }
  let decision: ChargeDecision;
  try {
    const intent = await deps.stripe.paymentIntents.create(paymentIntentParams(attempt), {
      idempotencyKey: attempt.idempotencyKey,
    });
    decision = decideFromPaymentIntent(intent);
  } catch (err) {
    if (!(err instanceof Stripe.errors.StripeError)) throw err;
    decision = decideFromStripeError(err);
  }
  // A 5xx response (or a key already used with other parameters) means Stripe finished the
  // request sent with this key, so the customer's PaymentIntents now show whether it charged.
  if (decision.kind !== 'look_up') return decision;
  const found = await findAttemptPaymentIntent(deps, attempt);
  // Refused after a 5xx: that request may still have charged, so the claim must not be released.
  return found.kind === 'systemic' ? { ...found, outcomeUnknown: true } : found;
}

/** Looks the attempt's PaymentIntent up among the customer's (strongly consistent; never Search). */
export async function findAttemptPaymentIntent(deps: ActivityDeps, attempt: StoredChargeAttempt): Promise<ChargeDecision> {
  const createdAfter = Math.floor(attempt.startedAt.getTime() / 1000) - 300;
  try {
    for await (const intent of deps.stripe.paymentIntents.list({
      customer: attempt.stripeCustomerId,
      created: { gte: createdAfter },
      limit: 100,
    })) {
      if (intent.metadata?.attempt_key === attempt.idempotencyKey) return decideFromPaymentIntent(intent);
    }
  } catch (err) {
    // Only a definite PaymentIntent or a systemic stop may come out of a lookup; otherwise try later.
    return decideFromReadError(err, 'lookup');
  }
  return { kind: 'no_charge', message: 'Stripe answered with a server error and created no PaymentIntent for this attempt' };
}

/** A `processing` PaymentIntent settles later; its current status decides. */
export async function checkSettlement(deps: ActivityDeps, paymentIntentId: string): Promise<ChargeDecision> {
  try {
    return decideFromPaymentIntent(await deps.stripe.paymentIntents.retrieve(paymentIntentId));
  } catch (err) {
    return decideFromReadError(err, 'settlement check');
  }
}
