/**
 * `npm run demo`: the stack (started in the background, or the one already running), the demo
 * data set, a worker, one charging run, its summary and the Web UI link. Safe to run again:
 * it reuses the stack and re-seeds the data.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { runUrl } from '../../src/cli/connect';
import { formatSummary } from '../../src/cli/print-summary';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { createStripeClient } from '../../src/stripe/client';
import { chargePendingInvoices } from '../../src/workflows';
import { isAlive, readState, type StackState } from '../stack/state';
import { PROJECT_ROOT } from '../stack/tools';
import { seedDemoData } from './demo-data';

const DATA_DIR = path.join(PROJECT_ROOT, '.data');

function runningStack(): StackState | undefined {
  const state = readState(DATA_DIR);
  return state && isAlive(state.pid) && state.ready ? state : undefined;
}

function ensureStack(): StackState {
  const existing = runningStack();
  if (existing) {
    console.log('demo: using the stack already running (npm run stack status)');
    return existing;
  }
  console.log('demo: starting the stack in the background (Temporal + Web UI, MariaDB, Stripe simulator)…');
  execFileSync(process.execPath, [...process.execArgv, path.join(PROJECT_ROOT, 'dev', 'stack', 'cli.ts'), 'up', '--detach', '--data-dir', DATA_DIR], { stdio: 'inherit' });
  const started = runningStack();
  if (!started) throw new Error('the stack did not come up; see .data/logs/stack.log');
  return started;
}

async function main(): Promise<void> {
  const stack = ensureStack();
  const config = loadConfig({ ...stack.env, TEMPORAL_UI_URL: stack.services.temporal?.uiUrl });
  const db = createPool(config.mysqlUrl, { connectionLimit: 10 });
  const stripe = createStripeClient(config.stripe);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const seeded = await seedDemoData(db, stripe);
    console.log(`demo: seeded 6 customers and ${seeded.expected.size + seeded.untouched.length} invoices (${seeded.expected.size} due)`);
    const worker = await Worker.create({
      connection: await (await import('@temporalio/worker')).NativeConnection.connect({ address: config.temporal.address }),
      taskQueue: config.temporal.taskQueue,
      workflowsPath: require.resolve('../../src/workflows'),
      activities: createActivities({ db, stripe }),
    });
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const workflowId = `demo-run-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const summary = await worker.runUntil(
      client.workflow.execute(chargePendingInvoices, {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{}],
        staticSummary: 'Demo charging run',
      }),
    );
    console.log(`\n${formatSummary(summary)}\n`);
    console.log(JSON.stringify(summary.results.map(({ invoice_id, status, payment_intent_id, error }) => ({ invoice_id, status, payment_intent_id, error }))));
    console.log(`\nWeb UI for this run: ${runUrl(config.temporal, workflowId)}`);
    console.log('The stack keeps running for the Web UI; stop it with `npm run stack down`.');
  } finally {
    await connection.close();
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
