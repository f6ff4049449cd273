/** Real services for a test file: the shared stack, a pool, a Stripe SDK client on the simulator. */
import type Stripe from 'stripe';
import type { Stack } from '../../dev/stack/stack';
import { createPool, type Pool } from '../../src/db/pool';
import { createStripeClient } from '../../src/stripe/client';
import { getTestStack, truncateAll } from './stack';

/** configure() merges fault settings, so clearing them means setting each one. */
export const NO_FAULTS = {
  next: [], error500Rate: 0, resetBeforeRate: 0, dropAfterCommitRate: 0, slowResponseRate: 0, rateLimit429Rate: 0,
};

export interface TestServices {
  stack: Stack;
  db: Pool;
  stripe: Stripe;
  /** Empty tables, empty simulator, no faults: each test starts clean. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export function stripeClientFor(stack: Stack, secretKey = stack.env.STRIPE_SECRET_KEY, timeoutMs = 3_000): Stripe {
  return createStripeClient(Object.assign({ apiBase: new URL(stack.stripe.url), timeoutMs }, { secretKey }));
}

export async function openTestServices(): Promise<TestServices> {
  const stack = await getTestStack();
  const db = createPool(stack.mysql.url, { connectionLimit: 10 });
  const stripe = stripeClientFor(stack);
  return {
    stack,
    db,
    stripe,
    async reset() {
      await truncateAll(db);
      stack.stripe.reset();
      // Every setting a test may change, back to the suite's defaults (lock_timeouts off included).
      stack.stripe.configure({ faults: NO_FAULTS, rateLimitPerSecond: 1000, latency: { distribution: 'fixed', meanMs: 0 }, lockTimeout: { probability: 0, windowMs: 0 } });
    },
    close: () => db.end(),
  };
}
