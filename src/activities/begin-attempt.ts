/**
 * Step 1 of a charge, in one transaction under the invoice's row lock: claim the invoice and
 * persist the attempt (with its idempotency key and exact parameters) before Stripe is called,
 * or resume the attempt this run (or an expired run) already started.
 */
import { assessEligibility, isDue } from '../billing/charge-eligibility';
import { decideRetryBudget, type DunningDecisionRecord } from '../billing/dunning-decision';
import { networkOf } from '../billing/network-rules';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { cardAttemptTimes, insertDunningDecision, knownCard, lockCardBudget } from '../db/dunning';
import { loadInvoice, loadLatestAttempt, loadOwnRecordedOutcome, UnknownStateError, type ClaimedInvoice } from '../db/invoices';
import type { Db, Tx } from '../db/sql';
import { insertAttempt, postponeRetry, renewClaim, startAttemptOnInvoice } from '../db/transitions';
import { isStoredChargeAttempt, newIdempotencyKey, type StoredChargeAttempt } from './charge-request';
import type { ActivityDeps } from './deps';

export type AttemptStart =
  /** Decided without Stripe: nothing to send. */
  | { kind: 'decided'; result: InvoiceRunResult }
  /** Send (or re-send) this attempt's request. */
  | { kind: 'send'; attempt: StoredChargeAttempt; resumed: boolean }
  /** The attempt's PaymentIntent was `processing`: look it up to see whether it settled. */
  | { kind: 'settle'; attempt: StoredChargeAttempt & { stripePaymentIntentId: string } }
  /**
   * A retry on a payment method whose card (fingerprint) no attempt has reported yet: look it up
   * at Stripe, then begin again with `card`, so its network budget can be checked. Nothing written.
   */
  | { kind: 'need_card'; paymentMethodId: string };

/** The card behind a payment method, as Stripe reports it (fingerprint null: not a card). */
export interface CardOfPaymentMethod {
  paymentMethodId: string;
  fingerprint: string | null;
  network: string | null;
}

export interface BeginAttemptInput {
  invoiceId: number;
  asOf: Date;
  /** The charging run that holds the claim: `${workflowId}/${runId}`. */
  claimRunId: string;
  /** The card of the customer's payment method, looked up after a `need_card`. */
  card?: CardOfPaymentMethod;
  /** Recovery: a run Temporal reported closed; its claim may be taken over before the lease ends. */
  takeOverFrom?: string;
}

const skipped = (invoiceId: number, error: string): AttemptStart => ({
  kind: 'decided',
  result: { invoice_id: invoiceId, status: 'skipped', error },
});

export async function beginAttempt(tx: Tx, deps: ActivityDeps, input: BeginAttemptInput): Promise<AttemptStart> {
  const { invoiceId, asOf } = input;
  let invoice: ClaimedInvoice | undefined;
  try {
    invoice = await loadInvoice(tx, invoiceId, true);
  } catch (err) {
    // A status this code does not know is reported for review, never charged.
    if (err instanceof UnknownStateError) return skipped(invoiceId, err.message);
    throw err;
  }
  if (!invoice) return skipped(invoiceId, 'invoice not found');
  const recorded = await outcomeThisRunRecorded(tx, input, invoice);
  if (recorded) return { kind: 'decided', result: recorded };
  if (invoice.status === 'processing') return resumeAttempt(tx, deps, input, invoice);
  if (invoice.status === 'pending') {
    // No due date at all goes on to eligibility, which records it as skipped (no_due_date).
    if (invoice.dueDate !== null && !isDue(invoice, asOf)) return skipped(invoiceId, 'invoice is not due');
    return startAttempt(tx, deps, input, invoice, 'pending');
  }
  if (invoice.status === 'failed') {
    if (retryReason(invoice, asOf) !== undefined) return startAttempt(tx, deps, input, invoice, 'failed');
    return skipped(invoiceId, 'invoice is failed and no retry is due');
  }
  return skipped(invoiceId, `invoice is ${invoice.status}, not pending`);
}

/** Why a failed invoice is charged again now (its dunning retry is due, or a new card), if it is. */
export function retryReason(invoice: ClaimedInvoice, asOf: Date): string | undefined {
  if (invoice.nextAttemptAt !== null && invoice.nextAttemptAt.getTime() <= asOf.getTime()) {
    return `dunning retry due since ${invoice.nextAttemptAt.toISOString()}`;
  }
  const newCard = invoice.failedPaymentMethodId !== null && invoice.customer?.stripePaymentMethodId != null
    && invoice.customer.stripePaymentMethodId !== invoice.failedPaymentMethodId;
  return newCard ? `customer has a new card (${invoice.customer?.stripePaymentMethodId ?? ''})` : undefined;
}

/**
 * A retry of this run's activity whose earlier try recorded the outcome but died before Temporal
 * heard of it (worker killed): the run must report that outcome, not "invoice is paid, not pending".
 */
async function outcomeThisRunRecorded(tx: Tx, input: BeginAttemptInput, invoice: ClaimedInvoice): Promise<InvoiceRunResult | undefined> {
  if (invoice.status !== 'paid' && invoice.status !== 'requires_auth' && invoice.status !== 'failed') return undefined;
  const recorded = await loadOwnRecordedOutcome(tx, { invoiceId: invoice.id, attemptNumber: invoice.attemptCount, claimRunId: input.claimRunId });
  if (!recorded) return undefined;
  return {
    invoice_id: invoice.id,
    status: recorded.outcome,
    ...(recorded.paymentIntentId !== null && { payment_intent_id: recorded.paymentIntentId }),
    ...(recorded.outcome !== 'paid' && { error: recorded.failureMessage ?? `recorded as ${recorded.outcome} earlier in this run` }),
    ...(recorded.amountCents !== null && recorded.currency !== null && { amount_cents: recorded.amountCents, currency: recorded.currency }),
    attempt: invoice.attemptCount,
    ...(recorded.isRetry && { retry: true }),
  };
}

/** The invoice is `processing`: continue the attempt that holds it, if this run may. */
async function resumeAttempt(tx: Tx, deps: ActivityDeps, input: BeginAttemptInput, invoice: ClaimedInvoice): Promise<AttemptStart> {
  const { invoiceId, claimRunId } = input;
  const now = deps.clock();
  const ownClaim = invoice.claimRunId === claimRunId;
  const leaseExpired = invoice.leaseExpiresAt !== null && invoice.leaseExpiresAt.getTime() <= now.getTime();
  // A closed run never comes back, so its claim is free now; the check names the exact owner.
  const ownerClosed = input.takeOverFrom !== undefined && invoice.claimRunId === input.takeOverFrom;
  if (!ownClaim && !leaseExpired && !ownerClosed) return skipped(invoiceId, 'invoice is being charged by another run');
  const attempt = await loadLatestAttempt(tx, invoiceId);
  if (!attempt || attempt.attemptNumber !== invoice.attemptCount || !isStoredChargeAttempt(attempt)) {
    // Cannot happen while claims and attempts are written in one transaction; never guess.
    return { kind: 'decided', result: { invoice_id: invoiceId, status: 'processing', error: 'processing without a recorded attempt: needs review' } };
  }
  const renewed = await renewClaim(tx, {
    invoiceId, attemptNumber: attempt.attemptNumber, claimRunId, now,
    leaseExpiresAt: new Date(now.getTime() + deps.claimLeaseMs),
  });
  if (!renewed) return skipped(invoiceId, 'invoice claim changed concurrently');
  if (attempt.outcome === 'in_flight') return { kind: 'send', attempt, resumed: true };
  if (attempt.outcome === 'processing' && attempt.stripePaymentIntentId !== null) {
    return { kind: 'settle', attempt: { ...attempt, stripePaymentIntentId: attempt.stripePaymentIntentId } };
  }
  return { kind: 'decided', result: { invoice_id: invoiceId, status: 'processing', error: `attempt ended as ${attempt.outcome} but invoice is processing: needs review` } };
}

/** A new attempt: the first charge of a pending invoice, or a dunning retry of a failed one. */
async function startAttempt(
  tx: Tx, deps: ActivityDeps, input: BeginAttemptInput, invoice: ClaimedInvoice, from: 'pending' | 'failed',
): Promise<AttemptStart> {
  const { invoiceId, claimRunId } = input;
  const now = deps.clock();
  const isRetry = from === 'failed';
  const eligibility = assessEligibility(invoice);
  const attemptNumber = invoice.attemptCount + 1;
  const base = { invoiceId, attemptNumber, isRetry, claimRunId, startedAt: now, stripePaymentIntentId: null };

  if (eligibility.kind !== 'chargeable') {
    if (isRetry) return skipped(invoiceId, `retry not possible: ${eligibility.code}: ${eligibility.message}`);
    // Recorded as a finished attempt with no key: nothing was or will be sent for it.
    const to = eligibility.kind === 'invalid' ? 'failed' : 'pending';
    const failure = { code: eligibility.code, message: eligibility.message };
    if (to === 'pending' && invoice.failureCode === failure.code) {
      // Skipped for the same reason as last time: report it, but don't add a row every run.
      return skipped(invoiceId, `${failure.code}: ${failure.message}`);
    }
    await startAttemptOnInvoice(tx, { invoiceId, attemptNumber, from, to, claimRunId, now, leaseExpiresAt: null, failure });
    await insertAttempt(tx, {
      ...base,
      idempotencyKey: null,
      stripeCustomerId: invoice.customer?.stripeCustomerId ?? null,
      stripePaymentMethodId: invoice.customer?.stripePaymentMethodId ?? null,
      amountCents: typeof invoice.amountCents === 'number' ? invoice.amountCents : null,
      currency: typeof invoice.currency === 'string' ? invoice.currency.slice(0, 16) : null,
      outcome: to === 'failed' ? 'failed' : 'skipped',
      failureCode: failure.code,
      failureMessage: failure.message,
      finishedAt: now,
    });
    return {
      kind: 'decided',
      result: { invoice_id: invoiceId, status: to === 'failed' ? 'failed' : 'skipped', error: `${failure.code}: ${failure.message}` },
    };
  }

  const { request } = eligibility;
  const card = input.card?.paymentMethodId === request.stripePaymentMethodId
    ? input.card
    : await cardFromAttempts(tx, request.stripePaymentMethodId);
  if (isRetry) {
    if (!card) return { kind: 'need_card', paymentMethodId: request.stripePaymentMethodId };
    const postponed = await postponedByBudget(tx, deps, invoice, card, now);
    if (postponed) return postponed;
  }
  const attempt: StoredChargeAttempt = {
    ...base,
    cardFingerprint: card?.fingerprint ?? null,
    cardNetwork: card?.network ?? null,
    idempotencyKey: newIdempotencyKey(invoiceId, attemptNumber, deps.randomId),
    stripeCustomerId: request.stripeCustomerId,
    stripePaymentMethodId: request.stripePaymentMethodId,
    amountCents: request.amountCents,
    currency: request.currency,
    outcome: 'in_flight',
  };
  await startAttemptOnInvoice(tx, {
    invoiceId, attemptNumber, from, to: 'processing', claimRunId, now,
    leaseExpiresAt: new Date(now.getTime() + deps.claimLeaseMs),
  });
  await insertAttempt(tx, attempt);
  return { kind: 'send', attempt, resumed: false };
}

/** The card of a payment method as earlier attempts reported it (Stripe is not asked here). */
export async function cardFromAttempts(conn: Tx | Db, paymentMethodId: string): Promise<CardOfPaymentMethod | undefined> {
  const known = await knownCard(conn, paymentMethodId);
  return known && { paymentMethodId, fingerprint: known.fingerprint, network: known.network };
}

/**
 * The card network's budget decision for a retry on `card` now, counted over all attempts on the
 * card (same fingerprint), whatever invoice or customer they were for. Reads only: the dry run
 * uses it as it is, the charge under the card's lock.
 */
export async function retryBudgetDecision(conn: Tx | Db, deps: ActivityDeps, card: CardOfPaymentMethod, now: Date): Promise<DunningDecisionRecord | undefined> {
  if (card.fingerprint === null) return undefined; // not a card: no network budget
  const rules = deps.dunningRules.networkRules;
  const network = networkOf(card.network);
  const longest = Math.max(...rules[network].budgets.map((b) => b.windowMs));
  const prior = await cardAttemptTimes(conn, { fingerprint: card.fingerprint, paymentMethodId: card.paymentMethodId, since: new Date(now.getTime() - longest) });
  return decideRetryBudget({ network, cardFingerprint: card.fingerprint, priorAttempts: prior, proposedAt: now }, rules);
}

/**
 * A retry must fit every rolling budget of the card's network. The card's lock makes concurrent
 * retries on it check one after the other; a retry that does not fit is postponed (failed →
 * failed, a later next_attempt_at), never sent.
 */
async function postponedByBudget(tx: Tx, deps: ActivityDeps, invoice: ClaimedInvoice, card: CardOfPaymentMethod, now: Date): Promise<AttemptStart | undefined> {
  if (card.fingerprint === null) return undefined;
  await lockCardBudget(tx, card.fingerprint, now);
  const decision = await retryBudgetDecision(tx, deps, card, now);
  if (decision?.action !== 'postpone' || decision.nextAttemptAt === null) return undefined;
  await postponeRetry(tx, invoice.id, decision.nextAttemptAt);
  await insertDunningDecision(tx, { invoiceId: invoice.id, attemptNumber: invoice.attemptCount, decidedAt: now, decision });
  return skipped(invoice.id, `retry postponed to ${decision.nextAttemptAt.toISOString()}: ${decision.reason}`);
}
