/**
 * Public types of the Stripe simulator. Other parts of the project depend on these names:
 * extend them, never rename them.
 */

export type LatencyDistribution = 'fixed' | 'uniform' | 'normal';

/** Artificial processing time added to every /v1 request (after auth, before the handler runs). */
export interface LatencyConfig {
  distribution: LatencyDistribution;
  /** fixed: the delay; uniform: ignored when min/max are given; normal: the mean. */
  meanMs: number;
  /** Lower clamp (default 0). For `uniform`, the lower bound (default 0). */
  minMs?: number;
  /** Upper clamp (default unbounded). For `uniform`, the upper bound (default 2 × meanMs). */
  maxMs?: number;
  /** For `normal` (default meanMs / 4). */
  stdDevMs?: number;
}

/**
 * - `error500`: answer 500 `api_error` without doing anything (stored for the idempotency key, as Stripe does).
 * - `resetBefore`: destroy the socket before processing; nothing is committed.
 * - `dropAfterCommit`: process and commit (charge, ledger, idempotency), then destroy the socket.
 * - `slowResponse`: process and commit, then hold the response for `slowResponseMs`; the key stays in flight.
 * - `rateLimit429`: an extra 429 `rate_limit` (never stored, like a real rate-limit 429).
 * - `none`: a placeholder in `next` that lets a request through untouched.
 */
export type FaultKind = 'error500' | 'resetBefore' | 'dropAfterCommit' | 'slowResponse' | 'rateLimit429' | 'none';

export const FAULT_KINDS: readonly FaultKind[] = [
  'error500',
  'resetBefore',
  'dropAfterCommit',
  'slowResponse',
  'rateLimit429',
  'none',
];

export interface FaultConfig {
  error500Rate?: number;
  resetBeforeRate?: number;
  dropAfterCommitRate?: number;
  slowResponseRate?: number;
  /** How long a `slowResponse` is held (default 30000). */
  slowResponseMs?: number;
  rateLimit429Rate?: number;
  /** Deterministic queue: the next matching /v1 requests get these faults, in order, before any rate is drawn. */
  next?: FaultKind[];
  /** Which requests consume `next` (default 'post'). Rates always apply to every /v1 request. */
  nextAppliesTo?: 'post' | 'all';
  /**
   * Only requests whose path starts with this consume `next`, e.g. '/v1/payment_intents', so other
   * traffic on a shared simulator cannot take a fault meant for the charge. Default: any path.
   */
  nextPathPrefix?: string;
}

/** Settings that can be changed while the simulator runs (configure() and POST /_sim/config). */
export interface SimulatorRuntimeConfig {
  rateLimitPerSecond: number;
  latency: LatencyConfig;
  faults: FaultConfig;
  idempotencyRetentionMs: number;
  /** Where signed webhook events are POSTed; null disables delivery. */
  webhook: WebhookConfig | null;
}

export interface WebhookConfig {
  url: string;
  /** Endpoint secret used for `Stripe-Signature` (whsec_…). */
  secret: string;
  /** Attempts per event before giving up (default 3; Stripe retries for up to 3 days). */
  maxAttempts?: number;
  /** Wait before the first delivery of each event (default 0). */
  delayMs?: number;
  /** Extra random wait per event, up to this (default 0): events then arrive out of order. */
  jitterMs?: number;
  /** Chance (0..1) that a delivered event is delivered once more (Stripe delivers at least once). */
  duplicateRate?: number;
  /** First retry delay, doubled per attempt (default 500). */
  retryDelayMs?: number;
}

export interface SimulatorOptions {
  /** 0 or undefined: pick a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Accepted secret keys; default ['sk_test_simulator']. */
  apiKeys?: string[];
  /** Keys that authenticate but lack permission for every /v1 endpoint (403). */
  restrictedKeys?: string[];
  /**
   * Validate cards on attach like Stripe: declining test cards (other than
   * pm_card_chargeCustomerFail) fail to attach with a 402. Default false, so every test card can be
   * saved to a customer and keeps its behaviour.
   */
  strictAttach?: boolean;
  /** Token bucket refill per second, burst = the same number. Default 25 (Stripe's test-mode limit). */
  rateLimitPerSecond?: number;
  /** Default: no latency. */
  latency?: LatencyConfig;
  faults?: FaultConfig;
  /** Default 24 h. */
  idempotencyRetentionMs?: number;
  /** PRNG seed for fault and latency draws. */
  seed?: number;
  /** Request log sink; lines never contain an API key. */
  log?: (line: string) => void;
  /** Signed webhook delivery; default none. */
  webhook?: WebhookConfig;
}

export interface LedgerEntry {
  paymentIntentId: string;
  chargeId: string;
  amount: number;
  currency: string;
  customer: string | null;
  paymentMethod: string | null;
  metadata: Record<string, string>;
  idempotencyKey?: string;
  /** Unix seconds, like Stripe's `created`. */
  created: number;
}

export interface SimulatorStats {
  /** Every HTTP request that reached /v1 (admin endpoints excluded). */
  requests: number;
  /** Responses actually written, by status code ("200", "402", ...). */
  byStatus: Record<string, number>;
  /** Faults actually injected, by kind. */
  faults: Record<FaultKind, number>;
  /** Responses served from the idempotency store. */
  replays: number;
  /** 429s, from the token bucket or the rateLimit429 fault. */
  rateLimited: number;
  /** 409 idempotency_key_in_use answers. */
  idempotencyConflicts: number;
  /** 400 idempotency_error answers. */
  idempotencyMismatches: number;
}

export interface CreateCustomerInput {
  paymentMethod?: string;
  email?: string;
  name?: string;
  metadata?: Record<string, string>;
}

export interface StripeSimulator {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  host: string;
  /** Closes the server and every open socket, and cancels held responses. */
  close(): Promise<void>;
  configure(patch: Partial<SimulatorRuntimeConfig>): void;
  /** The current runtime configuration (a copy). */
  config(): SimulatorRuntimeConfig;
  /** Every succeeded charge, oldest first. */
  ledger(): LedgerEntry[];
  /** Clears customers, payment methods, intents, idempotency keys, ledger and stats; keeps configuration. */
  reset(): void;
  stats(): SimulatorStats;
  createCustomer(input: CreateCustomerInput): { customerId: string; paymentMethodId?: string };
  /** Completes or fails a pending 3-D Secure authentication (a `requires_action` PaymentIntent). */
  completeAuthentication(paymentIntentId: string, outcome: 'succeed' | 'fail'): void;
  /** Settles a `processing` PaymentIntent (bank debit) as succeeded or failed. */
  settleProcessing(paymentIntentId: string, outcome: 'succeed' | 'fail'): void;
  /**
   * From now on, charges on this payment method behave like the test token's (e.g. a card that
   * declined for insufficient funds now succeeds): lets tests run dunning schedules.
   */
  setPaymentMethodBehaviour(paymentMethodId: string, token: string): void;
  /** Resolves when every webhook delivery started so far has finished (tests). */
  flushWebhooks(): Promise<void>;
}
