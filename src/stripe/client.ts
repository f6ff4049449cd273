import Stripe from 'stripe';
import { STRIPE_ENDPOINT_DEFAULT_PER_SECOND, type StripeConfig } from '../config';
import { createPacedNodeHttpClient } from './lookup-limit';

/**
 * The SDK configured for the worker: pointed at Stripe or at a simulator, with its own retries
 * off (Temporal owns retries, always with our idempotency key) and a timeout well under the
 * charge activity's start-to-close timeout. Lookups (GETs) are paced to Stripe's default
 * per-endpoint limit (lookup-limit.ts); charges are paced by the task queue's rate limit.
 */
export function createStripeClient(config: StripeConfig, options: { emitEventBodies?: boolean } = {}): Stripe {
  const base = config.apiBase;
  return new Stripe(config.secretKey, {
    maxNetworkRetries: 0,
    // Only for the metrics' response listener (a 429's error code, src/metrics/stripe-events.ts).
    ...(options.emitEventBodies && { emitEventBodies: true }),
    timeout: config.timeoutMs,
    telemetry: false,
    appInfo: { name: 'invoice-charging' },
    httpClient: createPacedNodeHttpClient(STRIPE_ENDPOINT_DEFAULT_PER_SECOND),
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? ('https' as const) : ('http' as const),
        }
      : {}),
  });
}
