/** The endpoint wired to a Temporal client: used by the worker and by `npm run webhooks`. */
import { Client, Connection } from '@temporalio/client';
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
): Promise<WebhookService> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${config.temporal.address}: is the server running? check TEMPORAL_ADDRESS`, { cause: err });
  }
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: temporalDataConverter(config.temporal.codec) });
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
