import { Client, Connection } from '@temporalio/client';
import { temporalDataConverter } from '../codec/data-converter';
import type { TemporalConfig } from '../config';
import { explainTemporalConnectError } from '../temporal-connect-errors';

export async function connectClient(config: TemporalConfig): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.address, connectTimeout: '10s' });
  } catch (err) {
    throw explainTemporalConnectError(err, config.address);
  }
  return { client: new Client({ connection, namespace: config.namespace, dataConverter: temporalDataConverter(config.codec) }), close: () => connection.close() };
}

export function runUrl(config: TemporalConfig, workflowId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
