import { Client } from '@temporalio/client';
import { temporalDataConverter } from '../codec/data-converter';
import type { TemporalConfig } from '../config';
import { connectClientConnection, loadTemporalConnectionSettings, type TemporalConnectionSettings } from '../temporal/connection';

export async function connectClient(config: TemporalConfig, resolved?: TemporalConnectionSettings): Promise<{ client: Client; close: () => Promise<void> }> {
  // Profile/TLS problems surface as ConfigError (exit 2 through orExit's caller), naming the setting.
  const settings = resolved ?? loadTemporalConnectionSettings(config);
  const connection = await connectClientConnection(settings);
  return { client: new Client({ connection, namespace: settings.namespace, dataConverter: temporalDataConverter(config.codec) }), close: () => connection.close() };
}

export function runUrl(config: TemporalConfig, workflowId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
