/**
 * The worker's business metrics (prom-client), Prometheus naming: `_total` counters, base units
 * (seconds), minor units named in the metric. Labels are low-cardinality by construction: every
 * label value goes through `labelValue`, so no invoice, customer or PaymentIntent id can become one.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface BusinessMetrics {
  registry: Registry;
  charges: Counter<'outcome' | 'currency' | 'decline_code'>;
  chargedAmount: Counter<'currency'>;
  chargesInFlight: Gauge;
  dunningRetriesScheduled: Counter<'decline_code'>;
  dunningRetriesCharged: Counter<'outcome'>;
  runsStopped: Counter<'reason'>;
  webhookSettlements: Counter<'action'>;
  stripeRequests: Counter<'endpoint' | 'method'>;
  stripeRequestDuration: Histogram<'endpoint' | 'method' | 'status'>;
  stripeRateLimited: Counter<'endpoint' | 'code'>;
}

/** Seconds; Stripe answers in 100 ms – 2 s, a timeout is at 20 s. */
const STRIPE_LATENCY_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30];

export function createBusinessMetrics(registry = new Registry()): BusinessMetrics {
  const metrics = defineMetrics(registry);
  // Series that alerts take increase() of exist from the start at 0, so their first event counts.
  for (const reason of ['api_key_rejected', 'permission_denied', 'other']) metrics.runsStopped.inc({ reason }, 0);
  for (const action of ['paid', 'failed', 'no_change', 'ignored', 'needs_review']) metrics.webhookSettlements.inc({ action }, 0);
  return metrics;
}

function defineMetrics(registry: Registry): BusinessMetrics {
  const registers = [registry];
  return {
    registry,
    charges: new Counter({
      name: 'invoice_charges_total',
      help: 'Charge outcomes reported by chargeInvoice, by run status, currency and Stripe decline code (or error code)',
      labelNames: ['outcome', 'currency', 'decline_code'] as const,
      registers,
    }),
    chargedAmount: new Counter({
      name: 'invoice_charged_amount_minor_total',
      help: 'Amounts of paid charges in minor units (cents), per currency',
      labelNames: ['currency'] as const,
      registers,
    }),
    chargesInFlight: new Gauge({
      name: 'invoice_charges_in_flight',
      help: 'chargeInvoice activities executing in this worker',
      registers,
    }),
    dunningRetriesScheduled: new Counter({
      name: 'invoice_dunning_retries_scheduled_total',
      help: 'Failed charges for which dunning scheduled another attempt, by decline code',
      labelNames: ['decline_code'] as const,
      registers,
    }),
    dunningRetriesCharged: new Counter({
      name: 'invoice_dunning_retries_charged_total',
      help: 'Dunning retries charged (a subset of invoice_charges_total), by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    runsStopped: new Counter({
      name: 'invoice_charge_runs_stopped_total',
      help: 'Charging runs stopped systemically (rejected key, missing permission), counted once per run and worker',
      labelNames: ['reason'] as const,
      registers,
    }),
    webhookSettlements: new Counter({
      name: 'invoice_webhook_settlements_total',
      help: 'Stripe events applied by applyStripeEvent, by action (paid, failed, no_change, ignored, needs_review)',
      labelNames: ['action'] as const,
      registers,
    }),
    stripeRequests: new Counter({
      name: 'stripe_requests_total',
      help: 'Requests sent to the Stripe API (answered or not), by endpoint and method',
      labelNames: ['endpoint', 'method'] as const,
      registers,
    }),
    stripeRequestDuration: new Histogram({
      name: 'stripe_request_duration_seconds',
      help: 'Latency of answered Stripe API requests, by endpoint, method and HTTP status',
      labelNames: ['endpoint', 'method', 'status'] as const,
      buckets: STRIPE_LATENCY_BUCKETS,
      registers,
    }),
    stripeRateLimited: new Counter({
      name: 'stripe_rate_limited_total',
      help: 'Stripe 429 answers, by endpoint and error code (rate_limit, or lock_timeout for object contention)',
      labelNames: ['endpoint', 'code'] as const,
      registers,
    }),
  };
}

/**
 * A label value that cannot carry an id or free text: lower-case word characters, at most 40,
 * else `other`. Stripe's codes (decline, error, advice) and ISO currencies pass unchanged.
 */
export function labelValue(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const v = value.toLowerCase();
  return /^[a-z][a-z0-9_]{0,39}$/.test(v) ? v : 'other';
}

/** An ISO 4217 code (three letters), else `other`: the invoice table's currency is business data. */
export function currencyLabel(value: string | null | undefined): string {
  const v = (value ?? '').trim().toLowerCase();
  return /^[a-z]{3}$/.test(v) ? v : 'other';
}
