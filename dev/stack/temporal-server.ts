import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { assertPortFree, findFreePort } from './ports';
import { ServiceProcess, waitUntilReady } from './service-process';
import { resolveTemporalCli } from './tools';

export { resolveTemporalCli } from './tools';

export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/**
 * The custom search attributes the service's workflows may set (registered by the dev stack and the
 * test server; a cluster registers them once with `temporal operator search-attribute create`):
 * the invoice of a follow-up or per-invoice workflow, and a charging run's outcome counts and phase
 * (src/workflows/search-attributes.ts defines them for the workflows; at most 3 Int per namespace).
 */
export const INVOICE_SEARCH_ATTRIBUTES = {
  InvoiceId: 'Keyword',
  ChargeRunFailed: 'Int',
  ChargeRunPaid: 'Int',
  ChargeRunRequiresAuth: 'Int',
  ChargeRunOutcomes: 'KeywordList',
  ChargeRunPhase: 'Keyword',
  ChargeRunDryRun: 'Bool',
} as const satisfies Record<string, SearchAttributeType>;

export interface TemporalServerOptions {
  /** gRPC frontend port; a free one when omitted. */
  port?: number;
  /** Web UI port; a free one when omitted (and `ui` is on). */
  uiPort?: number;
  /** Persistent state; default `<dataDir>/temporal.db`. Workflows survive restarts. */
  dbFile?: string;
  /** SQLite in memory instead: nothing survives a restart, no disk writes (bench --server-db memory). */
  inMemory?: boolean;
  /** Created at launch besides `default`; readiness waits for it. Default `default`. */
  namespace?: string;
  /** Serve the Web UI (default true). */
  ui?: boolean;
  dataDir: string;
  /** Default `<dataDir>/temporal.log`. */
  logFile?: string;
  /** `--dynamic-config-value KEY=JSON`, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 200 }`. */
  dynamicConfig?: Record<string, unknown>;
  /** Custom search attributes to register; default INVOICE_SEARCH_ATTRIBUTES. */
  searchAttributes?: Record<string, SearchAttributeType>;
  /** Default 90 s: the dev server is quick, but a loaded 2-core box is not. */
  startTimeoutMs?: number;
  /** The Web UI decodes payloads through this codec server (src/codec), e.g. http://127.0.0.1:8888. */
  uiCodecEndpoint?: string;
}

export interface TemporalServer {
  /** host:port for `Connection.connect` and TEMPORAL_ADDRESS. */
  address: string;
  port: number;
  uiUrl?: string;
  dbFile: string;
  namespace: string;
  logFile: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** Stop and start again on the same ports and database file. */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Starts `temporal server start-dev` and resolves once the frontend serves the namespace. */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const ui = options.ui ?? true;
  const port = options.port ?? (await findFreePort());
  const uiPort = ui ? (options.uiPort ?? (await findFreePort())) : undefined;
  const namespace = options.namespace ?? 'default';
  mkdirSync(options.dataDir, { recursive: true });
  const dbFile = options.dbFile ?? path.join(options.dataDir, 'temporal.db');
  const logFile = options.logFile ?? path.join(options.dataDir, 'temporal.log');
  const address = `${HOST}:${port}`;

  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), ...(options.inMemory ? [] : ['--db-filename', dbFile])];
  args.push('--log-level', 'warn');
  // Dev/test speed over durability, as the private MariaDB: write-ahead log, no fsync per commit.
  // Survives a killed server (the chaos tests kill it), not a machine crash. The default rollback
  // journal fsyncs every commit, and on this VM's disk that made 100/s runs stall (BENCHMARKS.md).
  if (!options.inMemory) args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  if (uiPort !== undefined) args.push('--ui-port', String(uiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  if (uiPort !== undefined && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  for (const [name, type] of Object.entries(options.searchAttributes ?? INVOICE_SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  const proc = new ServiceProcess({ name: 'Temporal', command: resolveTemporalCli(), args, logFile });
  const timeoutMs = options.startTimeoutMs ?? 90_000;

  const start = async () => {
    await assertPortFree(port, 'Temporal');
    if (uiPort !== undefined) await assertPortFree(uiPort, 'Temporal Web UI');
    proc.start();
    await waitUntilReady(proc, () => namespaceIsServed(address, namespace), { timeoutMs, intervalMs: 500 });
  };
  await start();

  return {
    address,
    port,
    uiUrl: uiPort !== undefined ? `http://${HOST}:${uiPort}` : undefined,
    dbFile,
    namespace,
    logFile,
    get pid() {
      return proc.pid;
    },
    stop: () => proc.stop(),
    restart: async () => {
      await proc.stop();
      await start();
    },
  };
}

/** The frontend answers and knows the namespace (it is registered shortly after the port opens). */
async function namespaceIsServed(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    await connection.withDeadline(Date.now() + 3_000, async () => {
      await connection.workflowService.getSystemInfo({});
      await connection.workflowService.describeNamespace({ namespace });
    });
    return true;
  } finally {
    await connection.close();
  }
}
