// The cluster plus what the service needs besides Temporal (private MariaDB, Stripe simulator):
// the counterpart of dev/stack/stack.ts with the production-shaped Temporal.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from '../../src/db/migrate';
import { startStripeSimulator, type SimulatorOptions, type StripeSimulator } from '../stripe-simulator';
import { startMariaDb, type MariaDb } from '../stack/mariadb';
import { DATABASE, STRIPE_TEST_KEY } from '../stack/stack';
import { startCluster, type ClusterOptions, type TemporalCluster } from './cluster';

export interface ClusterStack {
  cluster: TemporalCluster;
  mysql: MariaDb;
  stripe: StripeSimulator;
  /** Everything the worker and the client CLI need, mTLS included. */
  env: Record<string, string>;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startClusterStack(options: ClusterOptions & { stripe?: Omit<SimulatorOptions, 'port' | 'log'>; mysqlPort?: number; stripePort?: number }): Promise<ClusterStack> {
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
  const [cluster, mysql, stripe] = await Promise.allSettled([
    startCluster({ ...options, dataDir: path.join(dataDir, 'cluster') }),
    startMariaDb({ dataDir: path.join(dataDir, 'mysql'), logFile: path.join(dataDir, 'logs', 'mariadb.log'), port: options.mysqlPort, database: DATABASE }),
    startStripeSimulator({ apiKeys: [STRIPE_TEST_KEY], ...options.stripe, port: options.stripePort ?? 0, log: () => undefined }),
  ]);
  const stop = async () => {
    await Promise.allSettled([
      cluster.status === 'fulfilled' && cluster.value.stop(),
      mysql.status === 'fulfilled' && mysql.value.stop(),
      stripe.status === 'fulfilled' && stripe.value.close(),
    ]);
  };
  if (cluster.status === 'rejected' || mysql.status === 'rejected' || stripe.status === 'rejected') {
    await stop();
    const reason: unknown = [cluster, mysql, stripe].find((r) => r.status === 'rejected')?.reason;
    throw reason instanceof Error ? reason : new Error(String(reason));
  }
  try {
    await migrate(mysql.value.url);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    cluster: cluster.value,
    mysql: mysql.value,
    stripe: stripe.value,
    dataDir,
    env: {
      ...cluster.value.env,
      MYSQL_URL: mysql.value.url,
      STRIPE_SECRET_KEY: options.stripe?.apiKeys?.[0] ?? STRIPE_TEST_KEY,
      STRIPE_API_BASE: stripe.value.url,
    },
    stop,
  };
}
