/** The /v1 endpoints the simulator implements. Anything else answers Stripe's 404. */
import type { ApiRequest, ApiResult, Services } from './context';
import { getCustomer, getPaymentMethod, postAttach, postCustomer } from './customers';
import { invalidParam, unrecognizedUrl } from './errors';
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
  handler: Handler;
}

const ID = '([^/]+)';

const ROUTES: Route[] = [
  { method: 'POST', pattern: /^\/v1\/customers$/, handler: (s, r) => postCustomer(s, r) },
  { method: 'GET', pattern: new RegExp(`^/v1/customers/${ID}$`), handler: (s, _r, [id]) => getCustomer(s, id) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/payment_methods/${ID}/attach$`),
    handler: (s, r, [id]) => postAttach(s, r, id),
  },
  { method: 'GET', pattern: new RegExp(`^/v1/payment_methods/${ID}$`), handler: (s, _r, [id]) => getPaymentMethod(s, id) },
  { method: 'POST', pattern: /^\/v1\/payment_intents$/, handler: (s, r) => createPaymentIntent(s, r) },
  { method: 'GET', pattern: /^\/v1\/payment_intents$/, handler: (s, r) => listPaymentIntents(s, r) },
  {
    // Search is eventually consistent on Stripe and must not decide whether a charge happened;
    // say so instead of answering "No such payment_intent: 'search'".
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/search$/,
    handler: () => {
      throw invalidParam(
        'stripe-sim: /v1/payment_intents/search is not simulated (Stripe search lags); list with ?customer= or retrieve by id.',
      );
    },
  },
  { method: 'GET', pattern: new RegExp(`^/v1/payment_intents/${ID}$`), handler: (s, _r, [id]) => getPaymentIntent(s, id) },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/payment_intents/${ID}/confirm$`),
    handler: (s, r, [id]) => confirmPaymentIntent(s, r, id),
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/v1/payment_intents/${ID}/cancel$`),
    handler: (s, r, [id]) => cancelPaymentIntent(s, r, id),
  },
];

/** Finds the handler, or throws Stripe's "Unrecognized request URL" 404. */
export function route(method: string, path: string): (services: Services, req: ApiRequest) => ApiResult {
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
      return (services, req) => r.handler(services, req, ids);
    }
  }
  throw unrecognizedUrl(method, path);
}
