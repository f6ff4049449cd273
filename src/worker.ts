/** The worker: validated config → DB pool, Stripe client, Temporal connection → run until a signal. */
import { Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadConfig, orExit } from './config';
import { checkDatabase, createPool } from './db/pool';
import { checkStripeKey } from './preflight';
import { connectWorkerConnection, loadTemporalConnectionSettings } from './temporal/connection';
import { createNotifier } from './notify';
import { createStripeClient } from './stripe/client';
import { startWebhookService } from './webhooks/service';

async function main(): Promise<void> {
  const config = orExit(() => loadConfig());
  // TLS files and profile problems are reported here, before anything connects.
  const temporal = orExit(() => loadTemporalConnectionSettings(config.temporal));
  const db = createPool(config.mysqlUrl, { connectionLimit: config.dbPoolSize });
  const stripe = createStripeClient(config.stripe);
  try {
    await checkDatabase(db);
    await checkStripeKey(stripe, config.stripe.apiBase);
    const connection = await connectWorkerConnection(temporal);
    try {
      const worker = await Worker.create({
        connection,
        namespace: temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        workflowsPath: require.resolve('./workflows'),
        activities: createActivities({ db, stripe, notifier: createNotifier(config) }),
        // Enforced by the server across every worker on the queue: Stripe's limit is per account.
        maxTaskQueueActivitiesPerSecond: config.stripeRateLimitPerSecond,
        maxConcurrentActivityTaskExecutions: config.workerActivitySlots,
      });
      console.log(
        `worker polling task queue "${config.temporal.taskQueue}" on ${temporal.describe} ` +
          `(Stripe at ${config.stripe.apiBase?.origin ?? 'api.stripe.com'}, ` +
          `${config.stripeRateLimitPerSecond} activities/s)`,
      );
      // The Stripe webhook endpoint runs alongside when STRIPE_WEBHOOK_SECRET is set.
      const webhooks = config.webhook && (await startWebhookService({ temporal: { ...config.temporal, namespace: temporal.namespace }, webhook: config.webhook }, db, undefined, temporal));
      // Worker.run() returns after SIGINT/SIGTERM once in-flight activities finish (the SDK's
      // default shutdown signals), so the pool and connection close only after that.
      await worker.run();
      await webhooks?.close();
    } finally {
      await connection.close();
    }
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
