/** The simulator's state and runtime configuration, independent of HTTP. */
import type { Services } from './context';
import { createCustomer } from './customers';
import { DEFAULT_SLOW_RESPONSE_MS, validateFaultConfig } from './faults';
import { IdempotencyStore } from './idempotency';
import { NO_LATENCY, validateLatency } from './latency';
import { Ledger } from './ledger';
import { completeAuthentication, settleProcessing } from './payment-flow';
import { Prng } from './random';
import { TokenBucket } from './rate-limit';
import { Store } from './store';
import { testPaymentMethod } from './test-cards';
import {
  FAULT_KINDS,
  type CreateCustomerInput,
  type FaultKind,
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
    idempotencyConflicts: 0,
    idempotencyMismatches: 0,
  };
}

const RUNTIME_KEYS = ['rateLimitPerSecond', 'latency', 'faults', 'idempotencyRetentionMs', 'webhook'];

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Also guards POST /_sim/config, whose body is untyped JSON. */
function validateRuntime(patch: Partial<SimulatorRuntimeConfig>): void {
  if (!isObject(patch)) throw new Error('config must be an object');
  for (const key of Object.keys(patch)) {
    if (!RUNTIME_KEYS.includes(key)) throw new Error(`unknown config setting: ${key} (known: ${RUNTIME_KEYS.join(', ')})`);
  }
  if (patch.latency !== undefined && !isObject(patch.latency)) throw new Error('latency must be an object');
  if (patch.faults !== undefined && !isObject(patch.faults)) throw new Error('faults must be an object');
  if (patch.webhook !== undefined && patch.webhook !== null && !isObject(patch.webhook)) {
    throw new Error('webhook must be an object or null');
  }
  if (patch.rateLimitPerSecond !== undefined && !(Number.isFinite(patch.rateLimitPerSecond) && patch.rateLimitPerSecond > 0)) {
    throw new Error('rateLimitPerSecond must be a positive number');
  }
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

export class SimulatorCore {
  readonly apiKeys: ReadonlySet<string>;
  readonly restrictedKeys: ReadonlySet<string>;
  readonly store = new Store();
  readonly ledger = new Ledger();
  readonly prng: Prng;
  readonly bucket: TokenBucket;
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
    const initial: SimulatorRuntimeConfig = {
      rateLimitPerSecond: options.rateLimitPerSecond ?? 25,
      latency: options.latency ?? NO_LATENCY,
      faults: options.faults ?? {},
      idempotencyRetentionMs: options.idempotencyRetentionMs ?? DAY_MS,
      webhook: options.webhook ?? null,
    };
    validateRuntime(initial);
    this.runtime = structuredClone(initial);
    this.seed = options.seed ?? Date.now();
    this.prng = new Prng(this.seed);
    this.bucket = new TokenBucket(this.runtime.rateLimitPerSecond);
    this.idempotency = new IdempotencyStore(() => this.runtime.idempotencyRetentionMs);
    this.webhooks = new WebhookDispatcher(() => this.runtime.webhook, this.log);
    this.services = { store: this.store, ledger: this.ledger, events: this.webhooks, strictAttach: options.strictAttach ?? false };
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
  configure(patch: Partial<SimulatorRuntimeConfig>): void {
    validateRuntime(patch);
    const next: SimulatorRuntimeConfig = {
      ...this.runtime,
      ...(patch.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: patch.rateLimitPerSecond } : {}),
      ...(patch.latency !== undefined ? { latency: { ...patch.latency } } : {}),
      ...(patch.idempotencyRetentionMs !== undefined ? { idempotencyRetentionMs: patch.idempotencyRetentionMs } : {}),
      ...(patch.webhook !== undefined ? { webhook: patch.webhook ? { ...patch.webhook } : null } : {}),
      faults: patch.faults !== undefined ? { ...this.runtime.faults, ...structuredClone(patch.faults) } : this.runtime.faults,
    };
    validateFaultConfig(next.faults); // the merged rates must still add up to ≤ 1
    this.runtime = next;
    this.bucket.setRate(next.rateLimitPerSecond);
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
    this.idempotency.clear();
    this.webhooks.clear();
    this.counters = emptyStats();
    this.prng.reseed(this.seed);
    this.bucket.fill();
  }

  createCustomer(input: CreateCustomerInput): { customerId: string; paymentMethodId?: string } {
    const { customer, paymentMethod } = createCustomer(this.services, {
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
