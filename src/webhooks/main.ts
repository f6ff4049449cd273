/** `npm run webhooks`: the Stripe webhook endpoint on its own (a worker processes the events). */
import { loadWebhookServiceConfig, orExit } from '../config';
import { checkDatabase, createPool } from '../db/pool';
import { startWebhookService } from './service';
import { loadTemporalConnectionSettings } from '../temporal/connection';

async function main(): Promise<void> {
  const config = orExit(() => loadWebhookServiceConfig());
  const temporal = orExit(() => loadTemporalConnectionSettings(config.temporal));
  const db = createPool(config.mysqlUrl, { connectionLimit: config.dbPoolSize, tls: config.mysqlTls });
  try {
    await checkDatabase(db);
    const service = await startWebhookService(config, db, undefined, temporal);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await service.close();
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(`webhook endpoint failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
