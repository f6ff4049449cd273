/**
 * Applies one stored Stripe webhook event: re-fetch the PaymentIntent (the event's copy may be
 * stale or out of order), find the invoice it belongs to, and move that invoice only forward.
 * The invoice update and the event's `processed_at` are written in one transaction, so a retry
 * after a crash either finds the event processed or does the whole thing again.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import Stripe from 'stripe';
import { resolveDecision } from '../billing/attempt-resolution';
import { decideFromPaymentIntent, decideFromReadError } from '../billing/charge-outcome';
import { dunningAfterFailure, failureSignals } from '../billing/dunning-decision';
import { movesFrom, type InvoiceStatus } from '../billing/invoice-state';
import { countChargeAttempts, insertDunningDecision } from '../db/dunning';
import { loadAttempt, loadInvoice, UnknownStateError, type ClaimedInvoice } from '../db/invoices';
import {
  findAttemptByKey, findAttemptsByPaymentIntent, findInvoiceIdsByPaymentIntent, loadStripeEvent, markStripeEventProcessed,
} from '../db/settlements';
import { withTransaction, type Tx } from '../db/sql';
import { settleInvoiceFailed, settleInvoicePaid, type AttemptRecord } from '../db/transitions';
import { SETTLEMENT_EVENT_TYPES, STRIPE_EVENT_NOT_STORED, TRANSIENT_STRIPE_ERROR } from '../shared';
import type { ActivityDeps } from './deps';
import { systemicStripeFailure } from './failures';

export interface ApplyStripeEventInput {
  eventId: string;
}

export type StripeEventAction =
  /** The invoice was settled as paid / failed by this event. */
  | 'paid' | 'failed'
  /** Nothing to do: already in that state, not the invoice's current PaymentIntent, or not final yet. */
  | 'no_change'
  /** Not about one of our invoices. */
  | 'ignored'
  /** Money moved that the invoice cannot record (a second or stale success): a person must look. */
  | 'needs_review';

export interface StripeEventResult {
  eventId: string;
  action: StripeEventAction;
  /** A short code, e.g. `settled`, `already_paid`, `stale_payment_intent`, `no_invoice`. */
  reason: string;
  invoiceId?: number;
  /** The invoice's status before the event moved it. */
  from?: InvoiceStatus;
  /** The invoice's current attempt when the event was applied. */
  attempt?: number;
  /** True when an earlier run already processed the event (the stored result is returned). */
  alreadyProcessed?: boolean;
  /** Set when a `requires_auth` invoice was settled: its 3-D Secure follow-up must be told. */
  authFollowUp?: { invoiceId: number; attemptNumber: number };
}

type Outcome = Omit<StripeEventResult, 'eventId' | 'alreadyProcessed' | 'authFollowUp'>;

export function makeApplyStripeEvent(deps: ActivityDeps) {
  return async function applyStripeEvent(input: ApplyStripeEventInput): Promise<StripeEventResult> {
    const event = await loadStripeEvent(deps.db, input.eventId);
    if (!event) {
      throw ApplicationFailure.nonRetryable(`Stripe event ${input.eventId} is not stored`, STRIPE_EVENT_NOT_STORED);
    }
    if (event.processedAt) return finish(input.eventId, parseStoredResult(event.result), true);
    if (!SETTLEMENT_EVENT_TYPES.includes(event.type)) {
      return record(deps, input.eventId, { action: 'ignored', reason: 'type_not_handled' });
    }
    if (!event.paymentIntentId) return record(deps, input.eventId, { action: 'ignored', reason: 'no_payment_intent' });

    const intent = await fetchPaymentIntent(deps, event.paymentIntentId);
    if (!intent) return record(deps, input.eventId, { action: 'ignored', reason: 'unknown_payment_intent' });

    const target = await findInvoice(deps, intent);
    if (!target) return record(deps, input.eventId, { action: 'ignored', reason: 'no_invoice' });

    const outcome = await withTransaction(deps.db, async (tx) => {
      const o = await settle(tx, deps, target, intent);
      // Written with the invoice change: processed exactly when the change is.
      await markStripeEventProcessed(tx, input.eventId, deps.clock(), JSON.stringify(o));
      return o;
    });
    const level = outcome.action === 'needs_review' ? 'warn' : 'info';
    log[level](`stripe event ${input.eventId}: ${outcome.action} (${outcome.reason})`, {
      eventId: input.eventId, type: event.type, paymentIntentId: intent.id, invoiceId: outcome.invoiceId, from: outcome.from,
    });
    return finish(input.eventId, outcome, false);
  };
}

/** The PaymentIntent as Stripe has it now; undefined when Stripe does not know it. */
async function fetchPaymentIntent(deps: ActivityDeps, id: string): Promise<Stripe.PaymentIntent | undefined> {
  try {
    return await deps.stripe.paymentIntents.retrieve(id);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeInvalidRequestError && (err.statusCode === 404 || err.code === 'resource_missing')) return undefined;
    const decision = decideFromReadError(err, `re-fetching PaymentIntent ${id}`);
    throw decision.kind === 'systemic'
      ? systemicStripeFailure(decision.message)
      : ApplicationFailure.create({
        message: decision.message, type: TRANSIENT_STRIPE_ERROR, nonRetryable: false,
        ...(decision.retryAfterMs !== undefined && { nextRetryDelay: decision.retryAfterMs }),
      });
  }
}

interface InvoiceTarget {
  invoiceId: number;
  how: 'invoice' | 'attempt' | 'metadata';
}

/**
 * Which invoice the PaymentIntent belongs to: the invoice that recorded it, else the attempt that
 * recorded it, else `metadata.invoice_id` when that invoice has an attempt with the intent's
 * `metadata.attempt_key` (so a forged or foreign metadata value matches nothing).
 */
async function findInvoice(deps: ActivityDeps, intent: Stripe.PaymentIntent): Promise<InvoiceTarget | undefined> {
  const byInvoice = await findInvoiceIdsByPaymentIntent(deps.db, intent.id);
  if (byInvoice.length > 0) return { invoiceId: byInvoice[0], how: 'invoice' };
  const byAttempt = await findAttemptsByPaymentIntent(deps.db, intent.id);
  if (byAttempt.length > 0) return { invoiceId: byAttempt[0].invoiceId, how: 'attempt' };
  const invoiceId = Number(intent.metadata?.invoice_id);
  const key = intent.metadata?.attempt_key;
  if (!Number.isSafeInteger(invoiceId) || invoiceId <= 0 || !key) return undefined;
  const attemptNumber = await findAttemptByKey(deps.db, invoiceId, key);
  return attemptNumber === undefined ? undefined : { invoiceId, how: 'metadata' };
}

/** Whether the PaymentIntent is the invoice's current one: its current attempt's, or (no attempts) the invoice's. */
function isCurrentPaymentIntent(invoice: ClaimedInvoice, current: AttemptRecord | undefined, intent: Stripe.PaymentIntent): boolean {
  if (!current) return invoice.stripePaymentIntentId === intent.id;
  if (current.stripePaymentIntentId !== null) return current.stripePaymentIntentId === intent.id;
  // The attempt is still in flight (its PaymentIntent not recorded yet): match by its key.
  return current.idempotencyKey !== null && intent.metadata?.attempt_key === current.idempotencyKey;
}

/** Under the invoice's row lock: decide from the fresh PaymentIntent and move the invoice forward. */
async function settle(tx: Tx, deps: ActivityDeps, target: InvoiceTarget, intent: Stripe.PaymentIntent): Promise<Outcome> {
  let invoice: ClaimedInvoice | undefined;
  try {
    invoice = await loadInvoice(tx, target.invoiceId, true);
  } catch (err) {
    if (err instanceof UnknownStateError) return { invoiceId: target.invoiceId, action: 'needs_review', reason: 'unknown_invoice_state' };
    throw err;
  }
  if (!invoice) return { action: 'ignored', reason: 'no_invoice' };
  const status = invoice.status;
  const base = { invoiceId: invoice.id, attempt: invoice.attemptCount };
  const current = invoice.attemptCount > 0 ? await loadAttempt(tx, invoice.id, invoice.attemptCount) : undefined;
  const isCurrent = isCurrentPaymentIntent(invoice, current, intent);
  const now = deps.clock();
  // The same mapping the charge activity uses for its own answer (src/billing/attempt-resolution.ts).
  const resolution = resolveDecision(decideFromPaymentIntent(intent), {
    invoiceId: invoice.id, attemptNumber: invoice.attemptCount, amountCents: 0, currency: '', isRetry: false,
  }, false);
  const update = resolution.kind === 'record' ? resolution.update : undefined;

  switch (update?.invoiceStatus) {
    case 'paid': {
      if (status === 'paid') {
        return invoice.stripePaymentIntentId === intent.id
          ? { ...base, action: 'no_change', reason: 'already_paid' }
          : { ...base, action: 'needs_review', reason: 'paid_by_another_payment_intent' };
      }
      if (!isCurrent) return { ...base, action: 'needs_review', reason: 'stale_payment_intent_succeeded' };
      if (!movesFrom('settlePaid', status)) return { ...base, action: 'needs_review', reason: `succeeded_but_invoice_${status}` };
      const done = await settleInvoicePaid(tx, {
        invoiceId: invoice.id, attemptCount: invoice.attemptCount, from: status, paymentIntentId: intent.id, now,
      });
      return done ? { ...base, action: 'paid', reason: 'settled', from: status } : { ...base, action: 'no_change', reason: 'concurrent_change' };
    }
    case 'failed': {
      if (!isCurrent) return { ...base, action: 'no_change', reason: 'stale_payment_intent' };
      if (!movesFrom('settleFailed', status)) return { ...base, action: 'no_change', reason: `invoice_${status}` };
      const failure = update.failure ?? { code: 'payment_failed', message: 'the payment failed' };
      // The same retry plan a charge's own failure gets (src/billing/dunning-decision.ts).
      const dunning = dunningAfterFailure({
        ...failureSignals(failure, current), firstFailedAt: invoice.firstFailedAt, now,
        chargeAttempts: await countChargeAttempts(tx, invoice.id), failedPaymentMethodId: current?.stripePaymentMethodId ?? null,
      }, deps.dunningRules);
      const done = await settleInvoiceFailed(tx, {
        invoiceId: invoice.id, attemptCount: invoice.attemptCount, from: status, paymentIntentId: intent.id, failure, now, dunning,
      });
      if (done) await insertDunningDecision(tx, { invoiceId: invoice.id, attemptNumber: invoice.attemptCount, decidedAt: now, decision: dunning.decision });
      return done ? { ...base, action: 'failed', reason: failure.code, from: status } : { ...base, action: 'no_change', reason: 'concurrent_change' };
    }
    default:
      // processing / requires_auth at Stripe: not final yet; the charge run or a later event settles it.
      return { ...base, action: 'no_change', reason: `payment_intent_${update?.outcome ?? resolution.kind}` };
  }
}

async function record(deps: ActivityDeps, eventId: string, outcome: Outcome): Promise<StripeEventResult> {
  await markStripeEventProcessed(deps.db, eventId, deps.clock(), JSON.stringify(outcome));
  log.info(`stripe event ${eventId}: ${outcome.action} (${outcome.reason})`, { eventId });
  return finish(eventId, outcome, false);
}

function finish(eventId: string, outcome: Outcome, alreadyProcessed: boolean): StripeEventResult {
  const settledAuth = outcome.from === 'requires_auth' && (outcome.action === 'paid' || outcome.action === 'failed');
  return {
    eventId,
    ...outcome,
    ...(alreadyProcessed && { alreadyProcessed }),
    ...(settledAuth && outcome.invoiceId !== undefined && outcome.attempt !== undefined
      && { authFollowUp: { invoiceId: outcome.invoiceId, attemptNumber: outcome.attempt } }),
  };
}

/** The stored `result` column (JSON of the outcome); anything else reads as a plain no-op. */
function parseStoredResult(result: string | null): Outcome {
  try {
    const parsed = JSON.parse(result ?? '') as Partial<Outcome> | null;
    if (parsed && typeof parsed.action === 'string' && typeof parsed.reason === 'string') {
      return {
        action: parsed.action,
        reason: parsed.reason,
        ...(typeof parsed.invoiceId === 'number' && { invoiceId: parsed.invoiceId }),
        ...(typeof parsed.from === 'string' && { from: parsed.from }),
        ...(typeof parsed.attempt === 'number' && { attempt: parsed.attempt }),
      };
    }
  } catch {
    // fall through
  }
  return { action: 'no_change', reason: 'processed_earlier' };
}
