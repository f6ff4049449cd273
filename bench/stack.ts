/**
 * The bench's private stack: like dev/stack's startStack (Temporal dev server, MariaDB migrated,
 * Stripe simulator, all on free ports), plus the server's dynamic config, which the bench uses
 * to set the number of task-queue partitions (see BENCHMARKS.md: the task-queue rate limit is
 * split evenly over the partitions).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startMariaDb } from '../dev/stack/mariadb';
import { DATABASE, STRIPE_TEST_KEY, type Stack } from '../dev/stack/stack';
import { startTemporalServer } from '../dev/stack/temporal-server';
import { startStripeSimulator } from '../dev/stripe-simulator';
import { migrate } from '../src/db/migrate';

export async function startBenchStack(dataDir: string, dynamicConfig: Record<string, unknown>): Promise<Stack> {
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const simulatorLog = createWriteStream(path.join(logDir, 'stripe-simulator.log'), { flags: 'a' });
  const [temporal, mysql, stripe] = await Promise.allSettled([
    startTemporalServer({ dataDir: path.join(dataDir, 'temporal'), logFile: path.join(logDir, 'temporal.log'), ui: false, dynamicConfig }),
    startMariaDb({ dataDir: path.join(dataDir, 'mysql'), logFile: path.join(logDir, 'mariadb.log'), database: DATABASE }),
    // The bench configures the rate limit and latency per scenario; no request log (100k lines).
    startStripeSimulator({ apiKeys: [STRIPE_TEST_KEY], rateLimitPerSecond: 100, log: () => undefined }),
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
    await migrate(mysql.value.url);
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
      STRIPE_SECRET_KEY: STRIPE_TEST_KEY,
      STRIPE_API_BASE: stripe.value.url,
    },
    stop,
  };
}
