import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../config';

export async function connectClient(config: TemporalConfig): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.address, connectTimeout: '10s' });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${config.address}: is the server running? check TEMPORAL_ADDRESS`, { cause: err });
  }
  return { client: new Client({ connection, namespace: config.namespace }), close: () => connection.close() };
}

export function runUrl(config: TemporalConfig, workflowId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
