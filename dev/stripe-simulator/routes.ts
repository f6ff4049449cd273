/** The /v1 endpoints the simulator implements. Anything else answers Stripe's 404. */
import type { ApiRequest, ApiResult, Services } from './context';
import { getCustomer, getPaymentMethod, postAttach, postCustomer } from './customers';
import { invalidParam, unrecognizedUrl } from './errors';
import type { ParamMap } from './form';
import {
  cancelPaymentIntent,
  confirmPaymentIntent,
  createPaymentIntent,
  getPaymentIntent,
  listPaymentIntents,
} from './payment-intents';

type Handler = (services: Services, req: ApiRequest, ids: string[]) => ApiResult;

interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  /** The named operation, as Stripe counts endpoints for rate limits, e.g. `GET /v1/payment_intents/{id}`. */
  name: string;
  handler: Handler;
}

/** A routed request: its handler, endpoint name and (for writes) the customer it locks. */
export interface RoutedRequest {
  endpoint: string;
  handler: (services: Services, req: ApiRequest) => ApiResult;
  /** The Stripe customer a write involves (Stripe locks it), or null. */
  lockedCustomer: (services: Services, params: ParamMap) => string | null;
}

function paramCustomer(params: ParamMap): string | null {
  const c = params.customer;
  return typeof c === 'string' && c !== '' ? c : null;
}

function intentCustomer(services: Services, id: string): string | null {
  const c = services.store.paymentIntents.get(id)?.object.customer;
  return typeof c === 'string' ? c : null;
}

const ID = '([^/]+)';

const ROUTES: Route[] = [
  { method: 'POST', pattern: /^\/v1\/customers$/, name: 'POST /v1/customers', handler: (s, r) => postCustomer(s, r) },
  { method: 'GET', pattern: new RegExp(`^/v1/customers/${ID}$`), name: 'GET /v1/customers/{id}', handler: (s, _r, [id]) => getCustomer(s, id) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/payment_methods/${ID}/attach$`), name: 'POST /v1/payment_methods/{id}/attach',
    handler: (s, r, [id]) => postAttach(s, r, id),
  },
  { method: 'GET', pattern: new RegExp(`^/v1/payment_methods/${ID}$`), name: 'GET /v1/payment_methods/{id}', handler: (s, _r, [id]) => getPaymentMethod(s, id) },
  { method: 'POST', pattern: /^\/v1\/payment_intents$/, name: 'POST /v1/payment_intents', handler: (s, r) => createPaymentIntent(s, r) },
  { method: 'GET', pattern: /^\/v1\/payment_intents$/, name: 'GET /v1/payment_intents', handler: (s, r) => listPaymentIntents(s, r) },
  {
    // Search is eventually consistent on Stripe and must not decide whether a charge happened;
    // say so instead of answering "No such payment_intent: 'search'".
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/search$/, name: 'GET /v1/payment_intents/search',
    handler: () => {
      throw invalidParam(
        'stripe-sim: /v1/payment_intents/search is not simulated (Stripe search lags); list with ?customer= or retrieve by id.',
      );
    },
  },
  { method: 'GET', pattern: new RegExp(`^/v1/payment_intents/${ID}$`), name: 'GET /v1/payment_intents/{id}', handler: (s, _r, [id]) => getPaymentIntent(s, id) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/payment_intents/${ID}/confirm$`), name: 'POST /v1/payment_intents/{id}/confirm',
    handler: (s, r, [id]) => confirmPaymentIntent(s, r, id),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/payment_intents/${ID}/cancel$`), name: 'POST /v1/payment_intents/{id}/cancel',
    handler: (s, r, [id]) => cancelPaymentIntent(s, r, id),
  },
];

/** Every endpoint the simulator knows, by name (for rate-limit configuration). */
export const ENDPOINT_NAMES: readonly string[] = ROUTES.map((r) => r.name);

/** Finds the handler, or throws Stripe's "Unrecognized request URL" 404. */
export function route(method: string, path: string): RoutedRequest {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (m) {
      let ids: string[];
      try {
        ids = m.slice(1).map((s) => decodeURIComponent(s));
      } catch {
        throw unrecognizedUrl(method, path); // malformed %-escape
      }
      const id = ids[0];
      let lockedCustomer: RoutedRequest['lockedCustomer'] = () => null;
      if (r.method === 'POST') {
        lockedCustomer = id !== undefined && r.name.startsWith('POST /v1/payment_intents/')
          ? (services, params) => paramCustomer(params) ?? intentCustomer(services, id)
          : (_services, params) => paramCustomer(params);
      }
      return { endpoint: r.name, handler: (services, req) => r.handler(services, req, ids), lockedCustomer };
    }
  }
  throw unrecognizedUrl(method, path);
}
