/**
 * The PaymentIntent state machine: what confirming does for each test payment method, plus the
 * out-of-band transitions (3-D Secure completed or failed, a bank debit settling).
 */
import type Stripe from 'stripe';
import { eventRequest, type ApiRequest, type PaymentIntentEventType, type Services } from './context';
import { ApiError, docUrl } from './errors';
import { clone, nowUnix, threeDSecureNextAction } from './objects';
import { stripeId } from './random';
import type { PaymentIntentRecord, PaymentMethodRecord } from './store';
import { AUTHENTICATION_REQUIRED, PREVIOUSLY_DECLINED, type DeclineSignals } from './test-cards';

/** Applies a change and emits the matching event (webhooks). */
export function transition(
  services: Services,
  record: PaymentIntentRecord,
  req: ApiRequest | null,
  event: PaymentIntentEventType,
  patch: Partial<Stripe.PaymentIntent>,
): void {
  Object.assign(record.object, patch);
  services.events.paymentIntent(event, clone(record.object), eventRequest(req));
}

function succeed(services: Services, record: PaymentIntentRecord, pm: PaymentMethodRecord, req: ApiRequest | null): void {
  const pi = record.object;
  const chargeId = typeof pi.latest_charge === 'string' && pi.status === 'processing' ? pi.latest_charge : stripeId('ch');
  transition(services, record, req, 'payment_intent.succeeded', {
    status: 'succeeded',
    amount_received: pi.amount,
    latest_charge: chargeId,
    payment_method: pm.object.id,
    last_payment_error: null,
    next_action: null,
  });
  const idempotencyKey = req?.idempotencyKey ?? record.idempotencyKey;
  services.ledger.record({
    paymentIntentId: pi.id,
    chargeId,
    amount: pi.amount,
    currency: pi.currency,
    customer: typeof pi.customer === 'string' ? pi.customer : null,
    paymentMethod: pm.object.id,
    metadata: { ...pi.metadata },
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    created: nowUnix(),
  });
}

/** Records the failed attempt on the intent (Stripe clears `payment_method`) and returns the error. */
function recordFailure(
  services: Services,
  record: PaymentIntentRecord,
  req: ApiRequest | null,
  error: Stripe.PaymentIntent.LastPaymentError,
): void {
  transition(services, record, req, 'payment_intent.payment_failed', {
    status: 'requires_payment_method',
    last_payment_error: error,
    payment_method: null,
    next_action: null,
    amount_received: 0,
    ...(error.charge ? { latest_charge: error.charge } : {}),
  });
}

/** A card decline: the intent keeps the failed charge and the request answers 402 card_error. */
function decline(
  services: Services,
  record: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  req: ApiRequest,
  d: DeclineSignals,
): never {
  // Sent to the network and declined: counts against the card's reattempt cap.
  const fingerprint = pm.object.card?.fingerprint;
  if (d.networkDeclineCode !== null && fingerprint) {
    const list = services.store.declines.get(fingerprint) ?? [];
    list.push(services.now());
    services.store.declines.set(fingerprint, list);
  }
  const lastPaymentError: Stripe.PaymentIntent.LastPaymentError = {
    ...(d.adviceCode !== null ? { advice_code: d.adviceCode } : {}),
    charge: stripeId('ch'),
    code: d.code,
    decline_code: d.declineCode,
    doc_url: docUrl(d.code),
    message: d.message,
    ...(d.networkAdviceCode !== null ? { network_advice_code: d.networkAdviceCode } : {}),
    ...(d.networkDeclineCode !== null ? { network_decline_code: d.networkDeclineCode } : {}),
    ...(d.param !== null ? { param: d.param } : {}),
    payment_method: clone(pm.object),
    type: 'card_error',
  };
  recordFailure(services, record, req, lastPaymentError);
  throw new ApiError(
    402,
    { ...lastPaymentError, type: 'card_error', message: d.message, payment_intent: clone(record.object) },
    'store',
  );
}

/** Confirms with `pm`. Throws the 402 for declines; otherwise leaves the intent in its new status. */
export function confirmIntent(
  services: Services,
  record: PaymentIntentRecord,
  pm: PaymentMethodRecord,
  offSession: boolean,
  req: ApiRequest,
): void {
  // A PaymentMethod used without a customer cannot be used again (Stripe's single-use rule).
  if (pm.object.customer === null) pm.consumed = true;
  if (pastDeclineCap(services, pm, req.mode ?? 'test')) {
    services.onDeclineCapBlock();
    return decline(services, record, pm, req, PREVIOUSLY_DECLINED);
  }
  const outcome = pm.source.outcome;
  switch (outcome.kind) {
    case 'succeed':
      return succeed(services, record, pm, req);
    case 'decline':
      return decline(services, record, pm, req, outcome);
    case 'authenticate':
      if (offSession) {
        if (outcome.offSession === 'succeed') return succeed(services, record, pm, req);
        return decline(services, record, pm, req, AUTHENTICATION_REQUIRED);
      }
      return transition(services, record, req, 'payment_intent.requires_action', {
        status: 'requires_action',
        next_action: threeDSecureNextAction(),
        payment_method: pm.object.id,
      });
    case 'processing':
      return transition(services, record, req, 'payment_intent.processing', {
        status: 'processing',
        latest_charge: stripeId('py'),
        payment_method: pm.object.id,
      });
  }
}

/** Stripe's block: the card already had the network's maximum of declines within the window. */
function pastDeclineCap(services: Services, pm: PaymentMethodRecord, mode: 'live' | 'test'): boolean {
  const card = pm.object.card;
  if (!card?.fingerprint) return false;
  const declines = services.store.declines.get(card.fingerprint) ?? [];
  const now = services.now();
  return services
    .declineCaps()
    .some((cap) => (mode === 'live' || cap.appliesTo === 'all') && cap.network === card.brand && declines.filter((t) => t > now - cap.windowMs).length >= cap.maxDeclines);
}

export class SimulatorStateError extends Error {}

function pendingRecord(services: Services, id: string, status: Stripe.PaymentIntent.Status): PaymentIntentRecord & { paymentMethod: PaymentMethodRecord } {
  const record = services.store.paymentIntents.get(id);
  if (!record) throw new SimulatorStateError(`No such payment_intent: '${id}'`);
  if (record.object.status !== status || !record.paymentMethod) {
    throw new SimulatorStateError(`PaymentIntent ${id} has status ${record.object.status}, expected ${status}`);
  }
  return record as PaymentIntentRecord & { paymentMethod: PaymentMethodRecord };
}

/** The customer finished (or failed) the 3-D Secure challenge of a `requires_action` intent. */
export function completeAuthentication(services: Services, id: string, outcome: 'succeed' | 'fail'): void {
  const record = pendingRecord(services, id, 'requires_action');
  const source = record.paymentMethod.source.outcome;
  if (outcome === 'succeed' && source.kind === 'authenticate' && source.afterAuthentication) {
    // Authenticated, then the issuer declines the charge itself.
    const d = source.afterAuthentication;
    return recordFailure(services, record, null, {
      ...(d.adviceCode !== null ? { advice_code: d.adviceCode } : {}),
      charge: stripeId('ch'),
      code: d.code,
      decline_code: d.declineCode,
      doc_url: docUrl(d.code),
      message: d.message,
      ...(d.networkDeclineCode !== null ? { network_decline_code: d.networkDeclineCode } : {}),
      payment_method: clone(record.paymentMethod.object),
      type: 'card_error',
    });
  }
  if (outcome === 'succeed') return succeed(services, record, record.paymentMethod, null);
  recordFailure(services, record, null, {
    code: 'payment_intent_authentication_failure',
    doc_url: docUrl('payment_intent_authentication_failure'),
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new ' +
      'PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: clone(record.paymentMethod.object),
    type: 'invalid_request_error',
  });
}

/** A `processing` bank debit settles: the charge succeeds, or the bank returns it. */
export function settleProcessing(services: Services, id: string, outcome: 'succeed' | 'fail'): void {
  const record = pendingRecord(services, id, 'processing');
  if (outcome === 'succeed') return succeed(services, record, record.paymentMethod, null);
  const charge = typeof record.object.latest_charge === 'string' ? record.object.latest_charge : stripeId('py');
  recordFailure(services, record, null, {
    charge,
    code: 'insufficient_funds',
    doc_url: docUrl('insufficient_funds'),
    message: "The customer's account has insufficient funds to cover this payment.",
    payment_method: clone(record.paymentMethod.object),
    type: 'card_error',
  });
}
