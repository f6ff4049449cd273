/** The worker: validated config → DB pool, Stripe client, Temporal connection → run until a signal. */
import { Runtime, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { codecDescription, temporalDataConverter } from './codec/data-converter';
import { DEFAULT_DUNNING_RULES } from './billing/dunning-decision';
import { loadConfig, orExit } from './config';
import { checkDatabase, createPool } from './db/pool';
import { describeMysqlTls } from './db/tls';
import { checkStripeKey } from './preflight';
import { connectWorkerConnection, loadTemporalConnectionSettings } from './temporal/connection';
import { createNotifier } from './notify';
import { startWorkerMetrics } from './metrics';
import { createStripeClient } from './stripe/client';
import { startWebhookService } from './webhooks/service';
import { workflowCode } from './workflow-code';
import { oneLineLogger } from './temporal/worker-log';
import { connectClaimOwnerLookup } from './temporal/claim-owners';
import { checkSearchAttributes } from './temporal/search-attribute-check';

async function main(): Promise<void> {
  const config = orExit(() => loadConfig());
  // TLS files and profile problems are reported here, before anything connects.
  const temporal = orExit(() => loadTemporalConnectionSettings(config.temporal));
  const db = createPool(config.mysqlUrl, { connectionLimit: config.dbPoolSize, tls: config.mysqlTls });
  const stripe = createStripeClient(config.stripe, { emitEventBodies: config.metrics !== undefined });
  try {
    await checkDatabase(db);
    await checkStripeKey(stripe, config.stripe.apiBase);
    // Before the connection: the SDK's metrics exporter is part of the Runtime it creates.
    const metrics = config.metrics && (await startWorkerMetrics(config.metrics, { db, stripe }));
    if (!metrics) Runtime.install({ logger: oneLineLogger() });
    const connection = await connectWorkerConnection(temporal);
    const dataConverter = temporalDataConverter(config.temporal.codec);
    // Recovery asks Temporal whether a claim's run is closed (src/temporal/claim-owners.ts).
    const claimOwners = await connectClaimOwnerLookup(temporal, dataConverter);
    try {
      const warning = await checkSearchAttributes(claimOwners.connection, temporal.namespace);
      if (warning) console.warn(`worker: ${warning}`);
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        ...workflowCode(), // lib/workflow-bundle.js when built (npm start): no webpack at start
        // Payloads and failure messages encrypted unless TEMPORAL_CODEC=off (src/codec).
        dataConverter,
        activities: createActivities({
          db, stripe, notifier: createNotifier(config), claimOwner: claimOwners.lookup,
          chargeRatePerSecond: config.stripeRateLimitPerSecond,
          dunningRules: { ...DEFAULT_DUNNING_RULES, networkRules: config.networkRules },
        }),
        // Enforced by the server across every worker on the queue: Stripe's limit is per account.
        maxTaskQueueActivitiesPerSecond: config.stripeRateLimitPerSecond,
        maxConcurrentActivityTaskExecutions: config.workerActivitySlots,
        interceptors: { activity: metrics?.activityInterceptors ?? [] },
      });
      console.log(
        `worker polling task queue "${config.temporal.taskQueue}" on ${temporal.describe} ` +
          `(Stripe at ${config.stripe.apiBase?.origin ?? 'api.stripe.com'}, ` +
          `${config.stripeRateLimitPerSecond} activities/s, ${describeMysqlTls(config.mysqlTls)}, ` +
          `${codecDescription(config.temporal.codec)}` +
          `${metrics ? `; metrics at http://${metrics.addresses.business}/metrics and http://${metrics.addresses.temporal}/metrics` : ''})`,
      );
      // The Stripe webhook endpoint runs alongside when STRIPE_WEBHOOK_SECRET is set.
      const webhooks = config.webhook && (await startWebhookService({ temporal: { ...config.temporal, namespace: temporal.namespace }, webhook: config.webhook }, db, undefined, temporal));
      // Worker.run() returns after SIGINT/SIGTERM once in-flight activities finish (the SDK's
      // default shutdown signals), so the pool and connection close only after that.
      await worker.run();
      await webhooks?.close();
    } finally {
      await claimOwners.close();
      await connection.close();
      await metrics?.close();
    }
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
