import Stripe from 'stripe';
import type { StripeConfig } from '../config';

/**
 * The SDK configured for the worker: pointed at Stripe or at a simulator, with its own retries
 * off (Temporal owns retries, always with our idempotency key) and a timeout well under the
 * charge activity's start-to-close timeout.
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
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'https:' ? 443 : 80),
          protocol: base.protocol === 'https:' ? ('https' as const) : ('http' as const),
        }
      : {}),
  });
}
