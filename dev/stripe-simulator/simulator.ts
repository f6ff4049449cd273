/** The simulator's state and runtime configuration, independent of HTTP. */
import type { Services } from './context';
import { createCustomer } from './customers';
import { DEFAULT_SLOW_RESPONSE_MS, validateFaultConfig } from './faults';
import { IdempotencyStore } from './idempotency';
import { NO_LATENCY, validateLatency } from './latency';
import { Ledger } from './ledger';
import { completeAuthentication, settleProcessing } from './payment-flow';
import { Prng } from './random';
import { RateLimiter, type ResolvedRateLimits } from './rate-limit';
import { RequestLog } from './request-log';
import { ENDPOINT_NAMES } from './routes';
import { Store } from './store';
import { testPaymentMethod } from './test-cards';
import {
  FAULT_KINDS,
  type CreateCustomerInput,
  type DeclineCapConfig,
  type FaultKind,
  type LockTimeoutConfig,
  type RateLimitConfig,
  type SimulatorConfigPatch,
  type SimulatorOptions,
  type SimulatorRuntimeConfig,
  type SimulatorStats,
} from './types';
import { WebhookDispatcher } from './webhooks';

export const DEFAULT_API_KEY = 'sk_test_simulator';
export const DAY_MS = 24 * 60 * 60 * 1000;

function emptyStats(): SimulatorStats {
  return {
    requests: 0,
    byStatus: {},
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    replays: 0,
    rateLimited: 0,
    requestsByEndpoint: {},
    rateLimitedByEndpoint: {},
    rateLimitedByScope: { global: 0, endpoint: 0, fault: 0 },
    lockTimeouts: 0,
    customerWriteOverlaps: 0,
    maxConcurrentWritesPerCustomer: 0,
    overlapsByCustomer: {},
    declineCapBlocks: 0,
    idempotencyConflicts: 0,
    idempotencyMismatches: 0,
  };
}

const RUNTIME_KEYS = [
  'rateLimitPerSecond', 'rateLimits', 'lockTimeout', 'declineCaps', 'latency', 'faults', 'idempotencyRetentionMs', 'webhook',
];

/** Stripe's documented defaults (https://docs.stripe.com/rate-limits). */
export const STRIPE_RATE_LIMITS: RateLimitConfig = {
  livePerSecond: 100,
  testPerSecond: 25,
  endpointPerSecond: 25,
  endpoints: { 'GET /v1/payment_intents/search': 20 },
  sendRetryAfter: false,
};

export const DEFAULT_DECLINE_CAPS: DeclineCapConfig[] = [{ network: 'visa', maxDeclines: 15, windowMs: 30 * 24 * 60 * 60 * 1000 }];

const RATE_LIMIT_KEYS = ['livePerSecond', 'testPerSecond', 'endpointPerSecond', 'endpoints', 'sendRetryAfter'];

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

function validateRateLimits(r: Partial<RateLimitConfig>): void {
  if (!isObject(r)) throw new Error('rateLimits must be an object');
  for (const key of Object.keys(r)) {
    if (!RATE_LIMIT_KEYS.includes(key)) throw new Error(`unknown rateLimits setting: ${key} (known: ${RATE_LIMIT_KEYS.join(', ')})`);
  }
  if (r.livePerSecond !== undefined && !positive(r.livePerSecond)) throw new Error('rateLimits.livePerSecond must be a positive number');
  if (r.testPerSecond !== undefined && !positive(r.testPerSecond)) throw new Error('rateLimits.testPerSecond must be a positive number');
  if (r.endpointPerSecond !== undefined && r.endpointPerSecond !== null && !positive(r.endpointPerSecond)) {
    throw new Error('rateLimits.endpointPerSecond must be a positive number or null');
  }
  if (r.sendRetryAfter !== undefined && typeof r.sendRetryAfter !== 'boolean') throw new Error('rateLimits.sendRetryAfter must be a boolean');
  if (r.endpoints !== undefined) {
    if (!isObject(r.endpoints)) throw new Error('rateLimits.endpoints must be an object');
    for (const [name, rate] of Object.entries(r.endpoints)) {
      if (!ENDPOINT_NAMES.includes(name)) throw new Error(`rateLimits.endpoints: unknown endpoint "${name}" (known: ${ENDPOINT_NAMES.join(', ')})`);
      if (!positive(rate)) throw new Error(`rateLimits.endpoints["${name}"] must be a positive number`);
    }
  }
}

function validateLockTimeout(l: Partial<LockTimeoutConfig>): void {
  if (!isObject(l)) throw new Error('lockTimeout must be an object');
  for (const key of Object.keys(l)) if (key !== 'probability' && key !== 'windowMs') throw new Error(`unknown lockTimeout setting: ${key}`);
  if (l.probability !== undefined && !(typeof l.probability === 'number' && l.probability >= 0 && l.probability <= 1)) {
    throw new Error('lockTimeout.probability must be a number in [0, 1]');
  }
  if (l.windowMs !== undefined && !(typeof l.windowMs === 'number' && Number.isFinite(l.windowMs) && l.windowMs >= 0)) {
    throw new Error('lockTimeout.windowMs must be a non-negative number');
  }
}

function validateDeclineCaps(caps: DeclineCapConfig[]): void {
  if (!Array.isArray(caps)) throw new Error('declineCaps must be an array');
  for (const c of caps) {
    if (!isObject(c) || typeof c.network !== 'string' || !(Number.isInteger(c.maxDeclines) && c.maxDeclines >= 1) || !positive(c.windowMs)) {
      throw new Error('each declineCaps entry needs network (string), maxDeclines (integer ≥ 1) and windowMs (> 0)');
    }
    if (c.appliesTo !== undefined && c.appliesTo !== 'live' && c.appliesTo !== 'all') throw new Error("declineCaps[].appliesTo must be 'live' or 'all'");
  }
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Also guards POST /_sim/config, whose body is untyped JSON. */
function validateRuntime(patch: RuntimePatch): void {
  if (!isObject(patch)) throw new Error('config must be an object');
  for (const key of Object.keys(patch)) {
    if (!RUNTIME_KEYS.includes(key)) throw new Error(`unknown config setting: ${key} (known: ${RUNTIME_KEYS.join(', ')})`);
  }
  if (patch.latency !== undefined && !isObject(patch.latency)) throw new Error('latency must be an object');
  if (patch.faults !== undefined && !isObject(patch.faults)) throw new Error('faults must be an object');
  if (patch.webhook !== undefined && patch.webhook !== null && !isObject(patch.webhook)) {
    throw new Error('webhook must be an object or null');
  }
  if (patch.rateLimitPerSecond !== undefined && patch.rateLimitPerSecond !== null && !positive(patch.rateLimitPerSecond)) {
    throw new Error('rateLimitPerSecond must be a positive number');
  }
  if (patch.rateLimits !== undefined) validateRateLimits(patch.rateLimits);
  if (patch.lockTimeout !== undefined) validateLockTimeout(patch.lockTimeout);
  if (patch.declineCaps !== undefined) validateDeclineCaps(patch.declineCaps);
  if (patch.idempotencyRetentionMs !== undefined && !(Number.isFinite(patch.idempotencyRetentionMs) && patch.idempotencyRetentionMs >= 0)) {
    throw new Error('idempotencyRetentionMs must be a non-negative number');
  }
  if (patch.latency !== undefined) validateLatency(patch.latency);
  if (patch.faults !== undefined) validateFaultConfig(patch.faults);
  if (patch.webhook) {
    if (typeof patch.webhook.url !== 'string' || typeof patch.webhook.secret !== 'string') {
      throw new Error('webhook needs a url and a secret');
    }
    new URL(patch.webhook.url); // throws on a malformed URL
  }
}

/** A configure() patch: nested settings may be partial. */
export type RuntimePatch = SimulatorConfigPatch;

/** The limits the limiter applies: the legacy single rate, or Stripe's model. */
function resolvedLimits(c: SimulatorRuntimeConfig): ResolvedRateLimits {
  if (c.rateLimitPerSecond !== null) {
    return { livePerSecond: c.rateLimitPerSecond, testPerSecond: c.rateLimitPerSecond, endpointPerSecond: null, endpoints: {} };
  }
  return { ...c.rateLimits };
}

export class SimulatorCore {
  readonly apiKeys: ReadonlySet<string>;
  readonly restrictedKeys: ReadonlySet<string>;
  readonly store = new Store();
  readonly ledger = new Ledger();
  readonly requestLog = new RequestLog();
  readonly prng: Prng;
  readonly limiter: RateLimiter;
  /** Writes in flight per customer (lock contention), and when the last one began. */
  readonly customerWrites = new Map<string, { inFlight: number; lastBeganAt: number }>();
  private clockOffsetMs = 0;
  readonly idempotency: IdempotencyStore;
  readonly webhooks: WebhookDispatcher;
  readonly services: Services;
  readonly log: (line: string) => void;
  private runtime: SimulatorRuntimeConfig;
  private counters = emptyStats();
  private readonly seed: number;

  constructor(options: SimulatorOptions = {}) {
    this.apiKeys = new Set(options.apiKeys ?? [DEFAULT_API_KEY]);
    this.restrictedKeys = new Set(options.restrictedKeys ?? []);
    this.log = options.log ?? (() => undefined);
    if (options.rateLimits !== undefined) validateRateLimits(options.rateLimits);
    if (options.lockTimeout !== undefined) validateLockTimeout(options.lockTimeout);
    const initial: SimulatorRuntimeConfig = {
      rateLimitPerSecond: options.rateLimitPerSecond ?? null,
      rateLimits: { ...STRIPE_RATE_LIMITS, ...(options.rateLimits ?? {}) },
      lockTimeout: { probability: 0, windowMs: 0, ...(options.lockTimeout ?? {}) },
      declineCaps: options.declineCaps ?? DEFAULT_DECLINE_CAPS,
      latency: options.latency ?? NO_LATENCY,
      faults: options.faults ?? {},
      idempotencyRetentionMs: options.idempotencyRetentionMs ?? DAY_MS,
      webhook: options.webhook ?? null,
    };
    validateRuntime(initial);
    this.runtime = structuredClone(initial);
    this.seed = options.seed ?? Date.now();
    this.prng = new Prng(this.seed);
    this.limiter = new RateLimiter(resolvedLimits(this.runtime));
    this.idempotency = new IdempotencyStore(() => this.runtime.idempotencyRetentionMs, () => this.now());
    this.webhooks = new WebhookDispatcher(() => this.runtime.webhook, this.log);
    this.services = {
      store: this.store,
      ledger: this.ledger,
      events: this.webhooks,
      strictAttach: options.strictAttach ?? true,
      declineCaps: () => this.runtime.declineCaps,
      now: () => this.now(),
      onDeclineCapBlock: () => {
        this.counters.declineCapBlocks++;
      },
    };
  }

  /** The simulator clock: wall time plus advanceClock() offsets. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new Error('advanceClock needs a non-negative number of milliseconds');
    this.clockOffsetMs += ms;
    this.idempotency.sweep();
  }

  /** Live view used by the request pipeline (fault queue is consumed in place). */
  get config(): SimulatorRuntimeConfig {
    return this.runtime;
  }

  get stats(): SimulatorStats {
    return this.counters;
  }

  slowResponseMs(): number {
    return this.runtime.faults.slowResponseMs ?? DEFAULT_SLOW_RESPONSE_MS;
  }

  /** Merges a partial config. `faults` merges field by field; `next` replaces the queue. */
  configure(patch: RuntimePatch): void {
    validateRuntime(patch);
    const next: SimulatorRuntimeConfig = {
      ...this.runtime,
      // Setting rateLimits switches to Stripe's model unless the same patch sets the legacy rate.
      ...(patch.rateLimits !== undefined
        ? { rateLimits: { ...this.runtime.rateLimits, ...patch.rateLimits }, rateLimitPerSecond: null }
        : {}),
      ...(patch.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: patch.rateLimitPerSecond } : {}),
      ...(patch.lockTimeout !== undefined ? { lockTimeout: { ...this.runtime.lockTimeout, ...patch.lockTimeout } } : {}),
      ...(patch.declineCaps !== undefined ? { declineCaps: structuredClone(patch.declineCaps) } : {}),
      ...(patch.latency !== undefined ? { latency: { ...patch.latency } } : {}),
      ...(patch.idempotencyRetentionMs !== undefined ? { idempotencyRetentionMs: patch.idempotencyRetentionMs } : {}),
      ...(patch.webhook !== undefined ? { webhook: patch.webhook ? { ...patch.webhook } : null } : {}),
      faults: patch.faults !== undefined ? { ...this.runtime.faults, ...structuredClone(patch.faults) } : this.runtime.faults,
    };
    validateFaultConfig(next.faults); // the merged rates must still add up to ≤ 1
    this.runtime = next;
    this.limiter.setLimits(resolvedLimits(next));
  }

  /**
   * A write involving `customer` begins. Returns whether it contends with another write for the
   * same customer (in flight, or begun within the lock window), counting overlaps.
   */
  beginCustomerWrite(customer: string): boolean {
    const now = this.now();
    const w = this.customerWrites.get(customer) ?? { inFlight: 0, lastBeganAt: Number.NEGATIVE_INFINITY };
    const overlapping = w.inFlight > 0;
    const contended = overlapping || now - w.lastBeganAt < this.runtime.lockTimeout.windowMs;
    if (overlapping) {
      this.counters.customerWriteOverlaps++;
      this.counters.overlapsByCustomer[customer] = (this.counters.overlapsByCustomer[customer] ?? 0) + 1;
    }
    w.inFlight++;
    w.lastBeganAt = now;
    this.customerWrites.set(customer, w);
    this.counters.maxConcurrentWritesPerCustomer = Math.max(this.counters.maxConcurrentWritesPerCustomer, w.inFlight);
    return contended;
  }

  endCustomerWrite(customer: string): void {
    const w = this.customerWrites.get(customer);
    if (w && w.inFlight > 0) w.inFlight--;
  }

  /** Whether a contended write is refused with lock_timeout (seeded draw; no draw when disabled). */
  drawLockTimeout(): boolean {
    const p = this.runtime.lockTimeout.probability;
    if (p <= 0) return false;
    return p >= 1 || this.prng.next() < p;
  }

  snapshotConfig(): SimulatorRuntimeConfig {
    return structuredClone(this.runtime);
  }

  snapshotStats(): SimulatorStats {
    return structuredClone(this.counters);
  }

  /** Clears data and counters; keeps the configuration and restarts the PRNG from the seed. */
  reset(): void {
    this.store.clear();
    this.ledger.clear();
    this.requestLog.clear();
    this.idempotency.clear();
    this.webhooks.clear();
    this.counters = emptyStats();
    this.prng.reseed(this.seed);
    this.limiter.reset();
    this.customerWrites.clear();
    this.store.declines.clear();
  }

  createCustomer(input: CreateCustomerInput): { customerId: string; paymentMethodId?: string } {
    const { customer, paymentMethod } = createCustomer(this.services, {
      seeding: true,
      metadata: input.metadata ?? {},
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.paymentMethod !== undefined ? { paymentMethod: input.paymentMethod, defaultPaymentMethod: input.paymentMethod } : {}),
    });
    return paymentMethod ? { customerId: customer.id, paymentMethodId: paymentMethod.object.id } : { customerId: customer.id };
  }

  completeAuthentication(id: string, outcome: 'succeed' | 'fail'): void {
    completeAuthentication(this.services, id, outcome);
  }

  settleProcessing(id: string, outcome: 'succeed' | 'fail'): void {
    settleProcessing(this.services, id, outcome);
  }

  setPaymentMethodBehaviour(paymentMethodId: string, token: string): void {
    const record = this.store.paymentMethods.get(paymentMethodId);
    const source = testPaymentMethod(token);
    if (!record) throw new Error(`no such payment method: ${paymentMethodId}`);
    if (!source) throw new Error(`unknown test payment method: ${token}`);
    record.source = source;
  }
}
