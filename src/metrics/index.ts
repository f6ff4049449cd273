/**
 * The worker's metrics, wired in one call: the SDK's runtime metrics (its Prometheus exporter,
 * installed with the Runtime before any connection exists) and the business metrics (prom-client,
 * on a port of its own: the SDK's exporter serves only its own registry).
 */
import { Runtime } from '@temporalio/worker';
import { oneLineLogger } from '../temporal/worker-log';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type Stripe from 'stripe';
import type { MetricsConfig } from '../config';
import type { Db } from '../db/sql';
import { metricsActivityInterceptors } from './activity-interceptor';
import { createBusinessMetrics, type BusinessMetrics } from './business-metrics';
import { collectDatabaseGauges } from './db-gauges';
import { startMetricsServer } from './server';
import { observeStripe } from './stripe-events';

export interface WorkerMetrics {
  metrics: BusinessMetrics;
  /** For `Worker.create({ interceptors: { activity: [...] } })`. */
  activityInterceptors: ActivityInterceptorsFactory[];
  /** `host:port` of the business endpoint and of the SDK's. */
  addresses: { business: string; temporal: string };
  close(): Promise<void>;
}

/**
 * Prometheus conventions for the SDK's metrics too: seconds, unit suffixes, `_total` counters
 * (e.g. `temporal_activity_execution_latency_seconds`, `temporal_worker_task_slots_available`).
 */
export function installRuntimeWithMetrics(bindAddress: string): void {
  Runtime.install({
    logger: oneLineLogger(),
    telemetryOptions: {
      metrics: { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
    },
  });
}

/** Business metrics for this worker's activities, Stripe client and database, served on `host:port`. */
export async function startBusinessMetrics(
  config: Pick<MetricsConfig, 'host' | 'port'>, deps: { db: Db; stripe: Stripe },
): Promise<Omit<WorkerMetrics, 'addresses'> & { address: string }> {
  const metrics = createBusinessMetrics();
  const stopObserving = observeStripe(deps.stripe, metrics);
  collectDatabaseGauges(metrics, deps.db);
  const server = await startMetricsServer(metrics.registry, config.host, config.port);
  return {
    metrics,
    activityInterceptors: [metricsActivityInterceptors(metrics, deps.db)],
    address: server.address,
    async close() {
      stopObserving();
      await server.close();
    },
  };
}

/** Both endpoints, as the worker starts them when METRICS_PORT is set. */
export async function startWorkerMetrics(config: MetricsConfig, deps: { db: Db; stripe: Stripe }): Promise<WorkerMetrics> {
  const temporal = `${config.host}:${config.temporalPort}`;
  installRuntimeWithMetrics(temporal);
  const { address, ...business } = await startBusinessMetrics(config, deps);
  return { ...business, addresses: { business: address, temporal } };
}
