import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from '../../src/db/migrate';
import { startStripeSimulator } from '../stripe-simulator';
import type { SimulatorOptions, StripeSimulator } from '../stripe-simulator';
import { startMariaDb, type MariaDb } from './mariadb';
import { assertPortFree, findFreePort } from './ports';
import { startTemporalServer, type TemporalServer } from './temporal-server';

export type { StripeSimulator };

export interface StackPorts {
  temporal?: number;
  temporalUi?: number;
  mysql?: number;
  stripe?: number;
}

/** What `npm run stack` uses when no port is given. */
export const DEFAULT_PORTS: Required<StackPorts> = { temporal: 7233, temporalUi: 8233, mysql: 3307, stripe: 12111 };
export const DATABASE = 'invoices';
export const STRIPE_TEST_KEY = 'sk_test_simulator';

export interface StackOptions {
  /** Everything persistent goes here: temporal/temporal.db, mysql/, logs/. */
  dataDir: string;
  ports?: StackPorts;
  /** Ports not given explicitly are free ones instead of DEFAULT_PORTS (tests). */
  freePorts?: boolean;
  /** Serve Temporal's Web UI (default true). */
  ui?: boolean;
  /** Simulator settings (rate limit, latency, faults…); its port comes from `ports`. */
  stripe?: Omit<SimulatorOptions, 'port' | 'log'>;
  /** Log the simulator's requests to logs/stripe-simulator.log (default true; off for benchmarks). */
  simulatorRequestLog?: boolean;
  /** The Temporal dev server's dynamic config, e.g. lower continue-as-new thresholds. */
  temporalDynamicConfig?: Record<string, unknown>;
  /** The dev server's SQLite: on disk under dataDir (default) or in memory. */
  temporalDb?: 'file' | 'memory';
  /** Progress messages (default: silent). */
  log?: (message: string) => void;
}

export interface Stack {
  temporal: TemporalServer;
  mysql: MariaDb;
  stripe: StripeSimulator;
  /** TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, MYSQL_URL, STRIPE_SECRET_KEY, STRIPE_API_BASE for the worker and client. */
  env: Record<string, string>;
  dataDir: string;
  logDir: string;
  stop(): Promise<void>;
}

async function choosePorts(options: StackOptions): Promise<Required<StackPorts>> {
  const pick = async (key: keyof StackPorts) =>
    options.ports?.[key] ?? (options.freePorts ? await findFreePort() : DEFAULT_PORTS[key]);
  return { temporal: await pick('temporal'), temporalUi: await pick('temporalUi'), mysql: await pick('mysql'), stripe: await pick('stripe') };
}

/** Temporal dev server, private MariaDB (migrated) and the Stripe simulator, started together. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  const ui = options.ui ?? true;
  const dataDir = path.resolve(options.dataDir);
  const logDir = path.join(dataDir, 'logs');
  const ports = await choosePorts(options);

  // Check every port before starting anything: one clear error instead of a half-started stack.
  await assertPortFree(ports.temporal, 'Temporal');
  if (ui) await assertPortFree(ports.temporalUi, 'Temporal Web UI');
  await assertPortFree(ports.mysql, 'MariaDB');
  await assertPortFree(ports.stripe, 'Stripe simulator');

  mkdirSync(logDir, { recursive: true });
  const simulatorLog = createWriteStream(path.join(logDir, 'stripe-simulator.log'), { flags: 'a' });
  log('starting Temporal, MariaDB and the Stripe simulator');
  // In parallel: each waits mostly on its own process.
  const [temporal, mysql, stripe] = await Promise.allSettled([
    startTemporalServer({
      dataDir: path.join(dataDir, 'temporal'),
      logFile: path.join(logDir, 'temporal.log'),
      port: ports.temporal,
      uiPort: ports.temporalUi,
      ui,
      dynamicConfig: options.temporalDynamicConfig,
      ...(options.temporalDb === 'memory' && { inMemory: true }),
    }),
    startMariaDb({
      dataDir: path.join(dataDir, 'mysql'),
      logFile: path.join(logDir, 'mariadb.log'),
      port: ports.mysql,
      database: DATABASE,
    }),
    startStripeSimulator({
      apiKeys: [STRIPE_TEST_KEY],
      ...options.stripe,
      port: ports.stripe,
      log: options.simulatorRequestLog === false ? () => undefined : (line) => simulatorLog.write(`${line}\n`),
    }),
  ]);
  const stop = async () => {
    await Promise.allSettled([
      temporal.status === 'fulfilled' && temporal.value.stop(),
      mysql.status === 'fulfilled' && mysql.value.stop(),
      stripe.status === 'fulfilled' && stripe.value.close(),
    ]);
    simulatorLog.end();
  };
  if (temporal.status === 'rejected' || mysql.status === 'rejected' || stripe.status === 'rejected') {
    await stop();
    const reason: unknown = [temporal, mysql, stripe].find((r) => r.status === 'rejected')?.reason;
    throw reason instanceof Error ? reason : new Error(String(reason));
  }

  try {
    for (const name of await migrate(mysql.value.url)) log(`applied migration ${name}`);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    temporal: temporal.value,
    mysql: mysql.value,
    stripe: stripe.value,
    dataDir,
    logDir,
    env: {
      TEMPORAL_ADDRESS: temporal.value.address,
      TEMPORAL_NAMESPACE: temporal.value.namespace,
      MYSQL_URL: mysql.value.url,
      STRIPE_SECRET_KEY: options.stripe?.apiKeys?.[0] ?? STRIPE_TEST_KEY,
      STRIPE_API_BASE: stripe.value.url,
      // Local development keeps payloads readable; production must configure keys (src/codec).
      TEMPORAL_CODEC: 'off',
    },
    stop,
  };
}
