/**
 * Public types of the Stripe simulator. Other parts of the project depend on these names:
 * extend them, never rename them.
 */

import type { RequestLogEntry } from './request-log';

export type { RequestLogEntry } from './request-log';

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

/**
 * Stripe's rate limiters (https://docs.stripe.com/rate-limits): a global limit per account and
 * mode, and on top of it a limit per named operation (`POST /v1/payment_intents` and
 * `GET /v1/payment_intents/{id}` are separate endpoints). Every field is optional in a patch.
 */
export interface RateLimitConfig {
  /** Requests per second for `sk_live_…`/`rk_live_…` keys (default 100). */
  livePerSecond: number;
  /** Requests per second for test keys (default 25). */
  testPerSecond: number;
  /** Default limit of each endpoint, per mode (default 25); null disables per-endpoint limits. */
  endpointPerSecond: number | null;
  /**
   * Per-endpoint overrides by name, e.g. `{'POST /v1/payment_intents': 100}` for an account whose
   * limit Stripe raised. Default: search 20/s (Stripe's search limit).
   */
  endpoints: Record<string, number>;
  /** Send `Retry-After` (whole seconds until a token is back) on rate-limit 429s (default false: unconfirmed for Stripe). */
  sendRetryAfter: boolean;
}

/**
 * Object-lock contention: a write (POST) that involves a customer while another write for the same
 * customer is in flight (or began less than `windowMs` ago) is answered 429 `lock_timeout` with
 * probability `probability`, with `Stripe-Should-Retry: true`. Not stored under the idempotency key.
 */
export interface LockTimeoutConfig {
  /** 0..1; default 0 (overlaps are counted, never refused). */
  probability: number;
  /** Default 0: only truly concurrent writes contend. */
  windowMs: number;
}

/**
 * Stripe's own block past the card network's reattempt cap: once a card (fingerprint) of
 * `network` has `maxDeclines` declines within `windowMs`, further attempts are declined without
 * reaching the network: `decline_code = previously_declined_do_not_retry`.
 */
export interface DeclineCapConfig {
  /** Card brand the cap applies to (default 'visa'). */
  network: string;
  /** Default 15. */
  maxDeclines: number;
  /** Default 30 days. */
  windowMs: number;
  /**
   * Which keys it applies to (default 'live'): in a sandbox nothing reaches a card network and every
   * test of the account shares one test card number, so test keys are only capped with 'all'.
   */
  appliesTo?: 'live' | 'all';
}

/** Settings that can be changed while the simulator runs (configure() and POST /_sim/config). */
export interface SimulatorRuntimeConfig {
  /**
   * Legacy single-bucket model: when set, one limit per mode at this rate and no per-endpoint
   * limits (the pre-2026 behaviour, kept for existing callers). null when `rateLimits` is in force.
   * Setting it replaces `rateLimits`; setting `rateLimits` clears it.
   */
  rateLimitPerSecond: number | null;
  rateLimits: RateLimitConfig;
  lockTimeout: LockTimeoutConfig;
  /** Visa's 15 per 30 days by default; [] disables the block. */
  declineCaps: DeclineCapConfig[];
  latency: LatencyConfig;
  faults: FaultConfig;
  idempotencyRetentionMs: number;
  /** Where signed webhook events are POSTed; null disables delivery. */
  webhook: WebhookConfig | null;
}

/** A configure() / POST /_sim/config patch: nested rate-limit and lock settings may be partial. */
export type SimulatorConfigPatch = Omit<Partial<SimulatorRuntimeConfig>, 'rateLimits' | 'lockTimeout'> & {
  rateLimits?: Partial<RateLimitConfig>;
  lockTimeout?: Partial<LockTimeoutConfig>;
};

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
   * pm_card_chargeCustomerFail) fail to attach with a 402. Default true, as on Stripe; seeding
   * (createCustomer, POST /_sim/customers) saves any test card. false lets every card attach.
   */
  strictAttach?: boolean;
  /**
   * Legacy: one token bucket per mode at this rate (burst = rate) and no per-endpoint limits.
   * Default unset: Stripe's limits (`rateLimits`).
   */
  rateLimitPerSecond?: number;
  /** Default: Stripe's (100/s live, 25/s test, 25/s per endpoint, search 20/s). */
  rateLimits?: Partial<RateLimitConfig>;
  /** Default: probability 0. */
  lockTimeout?: Partial<LockTimeoutConfig>;
  /** Default: [{network: 'visa', maxDeclines: 15, windowMs: 30 days}]. */
  declineCaps?: DeclineCapConfig[];
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
  /** 429 `rate_limit`s, from the limiters or the rateLimit429 fault (lock timeouts not included). */
  rateLimited: number;
  /** Requests that reached a route, by endpoint name (e.g. `POST /v1/payment_intents`). */
  requestsByEndpoint: Record<string, number>;
  /** 429s by endpoint name, then by code (`rate_limit`, `lock_timeout`). */
  rateLimitedByEndpoint: Record<string, Record<string, number>>;
  /** 429 `rate_limit`s by cause: the global limit, the endpoint limit, or the injected fault. */
  rateLimitedByScope: { global: number; endpoint: number; fault: number };
  /** 429 `lock_timeout` answers. */
  lockTimeouts: number;
  /** Writes that began while another write for the same customer was in flight (or within the lock window). */
  customerWriteOverlaps: number;
  /** The most writes for one customer in flight at once. */
  maxConcurrentWritesPerCustomer: number;
  /** Overlapping writes by customer id (customers with none are absent). */
  overlapsByCustomer: Record<string, number>;
  /** Attempts refused with `previously_declined_do_not_retry`. */
  declineCapBlocks: number;
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
  configure(patch: SimulatorConfigPatch): void;
  /** The current runtime configuration (a copy). */
  config(): SimulatorRuntimeConfig;
  /** Every succeeded charge, oldest first. */
  ledger(): LedgerEntry[];
  /** Every /v1 request with its arrival and answer times, oldest first (request-log.ts). */
  requests(): RequestLogEntry[];
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
  /** Moves the simulator clock (idempotency retention, decline caps) forward by `ms`. */
  advanceClock(ms: number): void;
  /** Resolves when every webhook delivery started so far has finished (tests). */
  flushWebhooks(): Promise<void>;
}
