/** The worker: validated config → DB pool, Stripe client, Temporal connection → run until a signal. */
import { Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadConfig, orExit } from './config';
import { checkDatabase, createPool } from './db/pool';
import { checkStripeKey, connectTemporalForWorker } from './preflight';
import { createNotifier } from './notify';
import { createStripeClient } from './stripe/client';
import { startWebhookService } from './webhooks/service';
import { connectClaimOwnerLookup } from './temporal/claim-owners';
import { checkSearchAttributes } from './temporal/search-attribute-check';

async function main(): Promise<void> {
  const config = orExit(() => loadConfig());
  const db = createPool(config.mysqlUrl, { connectionLimit: config.dbPoolSize });
  const stripe = createStripeClient(config.stripe);
  try {
    await checkDatabase(db);
    await checkStripeKey(stripe, config.stripe.apiBase);
    const connection = await connectTemporalForWorker(config.temporal.address);
    // Recovery asks Temporal whether a claim's run is closed (src/temporal/claim-owners.ts).
    const claimOwners = await connectClaimOwnerLookup(config.temporal.address, config.temporal.namespace);
    try {
      const warning = await checkSearchAttributes(claimOwners.connection, config.temporal.namespace);
      if (warning) console.warn(`worker: ${warning}`);
      const worker = await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        workflowsPath: require.resolve('./workflows'),
        activities: createActivities({ db, stripe, notifier: createNotifier(config), claimOwner: claimOwners.lookup }),
        // Enforced by the server across every worker on the queue: Stripe's limit is per account.
        maxTaskQueueActivitiesPerSecond: config.stripeRateLimitPerSecond,
        maxConcurrentActivityTaskExecutions: config.workerActivitySlots,
      });
      console.log(
        `worker polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address} ` +
          `(namespace ${config.temporal.namespace}, Stripe at ${config.stripe.apiBase?.origin ?? 'api.stripe.com'}, ` +
          `${config.stripeRateLimitPerSecond} activities/s)`,
      );
      // The Stripe webhook endpoint runs alongside when STRIPE_WEBHOOK_SECRET is set.
      const webhooks = config.webhook && (await startWebhookService({ temporal: config.temporal, webhook: config.webhook }, db));
      // Worker.run() returns after SIGINT/SIGTERM once in-flight activities finish (the SDK's
      // default shutdown signals), so the pool and connection close only after that.
      await worker.run();
      await webhooks?.close();
    } finally {
      await claimOwners.close();
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
