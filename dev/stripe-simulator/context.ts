import type Stripe from 'stripe';
import type { ParamMap } from './form';
import type { Ledger } from './ledger';
import type { Store } from './store';
import type { DeclineCapConfig } from './types';

/** One authenticated /v1 request, as the endpoint handlers see it. */
export interface ApiRequest {
  method: string;
  /** Without the query string, e.g. /v1/payment_intents */
  path: string;
  /** Body parameters for POST, query parameters for GET. */
  params: ParamMap;
  requestId: string;
  idempotencyKey?: string;
  /** Live or test mode, from the API key. */
  mode?: 'live' | 'test';
}

export interface ApiResult {
  status: number;
  body: object;
}

export type PaymentIntentEventType =
  | 'payment_intent.created'
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.requires_action'
  | 'payment_intent.processing'
  | 'payment_intent.canceled';

/** The API request that caused an event, as Stripe reports it in `event.request`. */
export interface EventRequest {
  id: string | null;
  idempotency_key: string | null;
}

export interface EventSink {
  paymentIntent(type: PaymentIntentEventType, intent: Stripe.PaymentIntent, request: EventRequest): void;
}

/** What the endpoint handlers operate on. */
export interface Services {
  store: Store;
  ledger: Ledger;
  events: EventSink;
  /** Stripe validates a card when it is attached; see README ("strictAttach"). */
  strictAttach: boolean;
  /** Stripe's block past the network reattempt cap (current configuration). */
  declineCaps: () => readonly DeclineCapConfig[];
  /** The simulator clock (ms). */
  now: () => number;
  /** Counts an attempt refused with previously_declined_do_not_retry. */
  onDeclineCapBlock: () => void;
}

export function eventRequest(req: ApiRequest | null): EventRequest {
  return { id: req?.requestId ?? null, idempotency_key: req?.idempotencyKey ?? null };
}
