/** The endpoint wired to a Temporal client: used by the worker and by `npm run webhooks`. */
import { Client } from '@temporalio/client';
import { connectClientConnection, loadTemporalConnectionSettings, type TemporalConnectionSettings } from '../temporal/connection';
import { temporalDataConverter } from '../codec/data-converter';
import type { TemporalConfig, WebhookEndpointConfig } from '../config';
import type { Db } from '../db/sql';
import { resumeUnprocessedEvents } from './resume';
import { startWebhookServer } from './server';
import { temporalStartProcessing } from './start-processing';

export interface WebhookService {
  url: string;
  close(): Promise<void>;
}

export async function startWebhookService(
  config: { temporal: TemporalConfig; webhook: WebhookEndpointConfig },
  db: Db,
  log: (line: string) => void = (line) => console.log(line),
  /** Already resolved by the worker; otherwise read from the environment (src/temporal/connection.ts). */
  temporal?: TemporalConnectionSettings,
): Promise<WebhookService> {
  const settings = temporal ?? loadTemporalConnectionSettings(config.temporal);
  const connection = await connectClientConnection(settings);
  try {
    const client = new Client({ connection, namespace: settings.namespace, dataConverter: temporalDataConverter(config.temporal.codec) });
    const startProcessing = temporalStartProcessing(client, config.temporal.taskQueue);
    const server = await startWebhookServer(
      { db, secret: config.webhook.secret, startProcessing, clock: () => new Date(), log },
      { port: config.webhook.port, host: config.webhook.host },
    );
    log(`Stripe webhook endpoint listening on ${server.url} (events processed on task queue "${config.temporal.taskQueue}")`);
    await resumeUnprocessedEvents(db, startProcessing, log);
    return {
      url: server.url,
      async close() {
        await server.close();
        await connection.close();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
