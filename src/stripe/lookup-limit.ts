/**
 * Keeps the worker's lookups (GET: retrieve, list, and every page of a list) within their own
 * endpoints' limits. Stripe limits each endpoint to 25 requests/s by default, apart from the
 * account's global limit; `POST /v1/payment_intents` (the charges) is paced by Temporal for the
 * whole task queue (maxTaskQueueActivitiesPerSecond = STRIPE_RATE_LIMIT_PER_SECOND), but a lookup
 * runs inside an activity, after a 5xx or for a settlement, so nothing else bounds its rate.
 * Here each GET endpoint (`GET /v1/payment_intents`, `GET /v1/payment_intents/{id}`, …) gets a
 * pacer in the SDK's HTTP client: requests are spaced 1/rate apart, waiting (never refused)
 * before they are sent, so the SDK timeout does not include the wait. Per worker process.
 */
import Stripe from 'stripe';

type HttpClientInterface = NonNullable<Stripe.StripeConfig['httpClient']>;
type HttpClientResponseInterface = Awaited<ReturnType<HttpClientInterface['makeRequest']>>;

/** `GET /v1/payment_intents/pi_123?x=1` → `GET /v1/payment_intents/{id}` (Stripe's per-endpoint unit). */
export function endpointName(method: string, path: string): string {
  const bare = path.split('?')[0];
  const segments = bare.split('/').map((s) => (/^[a-z]+_[A-Za-z0-9_]+$/.test(s) ? '{id}' : s));
  return `${method.toUpperCase()} ${segments.join('/')}`;
}

/** Spaces requests of each endpoint at least 1/rate apart: a reservation per request, no burst. */
export class EndpointPacer {
  private readonly nextFreeAt = new Map<string, number>();

  constructor(
    readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new Error('ratePerSecond must be positive');
  }

  /** Milliseconds the caller waited for its turn. */
  async take(endpoint: string): Promise<number> {
    const t = this.now();
    const at = Math.max(t, this.nextFreeAt.get(endpoint) ?? t);
    this.nextFreeAt.set(endpoint, at + 1000 / this.ratePerSecond);
    const wait = at - t;
    if (wait > 0) await this.sleep(wait);
    return wait;
  }
}

/** The SDK's HTTP client with every GET paced per endpoint; writes pass straight through. */
export function pacedHttpClient(inner: HttpClientInterface, pacer: EndpointPacer): HttpClientInterface {
  return {
    getClientName: () => inner.getClientName(),
    async makeRequest(host, port, path, method, headers, requestData, protocol, timeout): Promise<HttpClientResponseInterface> {
      if (method.toUpperCase() === 'GET') await pacer.take(endpointName(method, path));
      return inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
    },
  };
}

export function createPacedNodeHttpClient(lookupsPerSecond: number): HttpClientInterface {
  return pacedHttpClient(Stripe.createNodeHttpClient(), new EndpointPacer(lookupsPerSecond));
}
