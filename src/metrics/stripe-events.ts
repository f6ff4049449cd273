/**
 * Stripe request metrics from the SDK's own `request`/`response` events: no wrapper around the
 * calls the activities make. A response event carries no body unless the client was built with
 * `emitEventBodies` (see src/stripe/client.ts); only then can a 429's `lock_timeout` be told from
 * a `rate_limit`. Nothing from a body is kept except that error code.
 */
import type Stripe from 'stripe';
import { labelValue, type BusinessMetrics } from './business-metrics';

/**
 * `/v1/payment_intents/pi_3Q…/cancel?x=1` → `/v1/payment_intents/:id/cancel`. Stripe paths
 * alternate names and ids (`/v1/customers/{id}/payment_methods`); an id always contains `_`
 * or a digit, an action (`cancel`, `search`) never does.
 */
export function stripeEndpoint(path: string | undefined): string {
  if (!path) return 'other';
  const segments = path.split('?')[0].split('/').filter((s) => s !== '');
  const normalised = segments.map((segment, i) => {
    // [v1, name, id, name, id, …]
    if (i % 2 === 1 || i === 0 || !/[_\d]/.test(segment)) return labelValue(segment);
    return ':id';
  });
  const endpoint = `/${normalised.join('/')}`;
  return endpoint.length <= 80 && !normalised.includes('other') ? endpoint : 'other';
}

function errorCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

type ResponseEventWithBody = Stripe.ResponseEvent & { body?: unknown };
/** The SDK's `on`/`off`, which its published types leave untyped. */
interface StripeEventSource {
  on(name: 'request', listener: (event: Stripe.RequestEvent) => void): void;
  on(name: 'response', listener: (event: ResponseEventWithBody) => void): void;
  off(name: 'request', listener: (event: Stripe.RequestEvent) => void): void;
  off(name: 'response', listener: (event: ResponseEventWithBody) => void): void;
}

/** Starts counting the client's requests; returns a function that stops it. */
export function observeStripe(stripe: Stripe, metrics: BusinessMetrics): () => void {
  const events = stripe as unknown as StripeEventSource;
  const onRequest = (event: Stripe.RequestEvent): void => {
    metrics.stripeRequests.inc({ endpoint: stripeEndpoint(event.path), method: labelValue(event.method) });
  };
  // The SDK sets `body` when built with emitEventBodies; its published type omits it.
  const onResponse = (event: ResponseEventWithBody): void => {
    const endpoint = stripeEndpoint(event.path);
    const method = labelValue(event.method);
    metrics.stripeRequestDuration.observe({ endpoint, method, status: String(event.status) }, event.elapsed / 1000);
    if (event.status === 429) {
      const code = errorCode(event.body) === 'lock_timeout' ? 'lock_timeout' : 'rate_limit';
      metrics.stripeRateLimited.inc({ endpoint, code });
    }
  };
  events.on('request', onRequest);
  events.on('response', onResponse);
  return () => {
    events.off('request', onRequest);
    events.off('response', onResponse);
  };
}
