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
import { temporalClaimOwnerLookup } from '../../src/temporal/claim-owners';
import { runUrl } from '../../src/cli/connect';
import { formatSummary } from '../../src/cli/print-summary';
import { codecDescription, temporalDataConverter } from '../../src/codec/data-converter';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { createStripeClient } from '../../src/stripe/client';
import { chargePendingInvoices } from '../../src/workflows';
import { isAlive, readState, type StackState } from '../stack/state';
import { PROJECT_ROOT } from '../stack/tools';
import { seedDemoData } from './demo-data';
import { endDemoFollowUps } from './end-follow-ups';

/** The invoice the demo leaves for the reader's own first run (README "Running it"). */
const COMING_DUE_IN_MINUTES = 1;

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

/**
 * Payload encryption is off in the demo unless asked: keys in TEMPORAL_CODEC_KEYS or
 * TEMPORAL_CODEC_KEYS_FILE turn it on (then the worker and the CLI need the same keys).
 */
function demoCodecEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  if (!env.TEMPORAL_CODEC_KEYS && !env.TEMPORAL_CODEC_KEYS_FILE) return { TEMPORAL_CODEC: 'off' };
  return { TEMPORAL_CODEC: env.TEMPORAL_CODEC, TEMPORAL_CODEC_KEYS: env.TEMPORAL_CODEC_KEYS, TEMPORAL_CODEC_KEYS_FILE: env.TEMPORAL_CODEC_KEYS_FILE };
}

async function main(): Promise<void> {
  const stack = ensureStack();
  const config = loadConfig({ ...stack.env, ...demoCodecEnv(process.env), TEMPORAL_UI_URL: stack.services.temporal?.uiUrl });
  const dataConverter = temporalDataConverter(config.temporal.codec);
  console.log(`demo: ${codecDescription(config.temporal.codec)}`);
  const db = createPool(config.mysqlUrl, { connectionLimit: 10 });
  const stripe = createStripeClient(config.stripe);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
    const ended = await endDemoFollowUps(db, client);
    if (ended.length > 0) console.log(`demo: ended the previous demo's 3-D Secure follow-ups: ${ended.join(', ')}`);
    const seededAt = new Date();
    const seeded = await seedDemoData(db, stripe, seededAt, { comingDueInMinutes: COMING_DUE_IN_MINUTES });
    const total = seeded.expected.size + seeded.untouched.length + 1;
    console.log(`demo: seeded 6 customers and ${total} invoices (${seeded.expected.size} due now, 1 due at ${seeded.comingDue?.dueAt.toISOString()})`);
    const worker = await Worker.create({
      connection: await (await import('@temporalio/worker')).NativeConnection.connect({ address: config.temporal.address }),
      taskQueue: config.temporal.taskQueue,
      workflowsPath: require.resolve('../../src/workflows'),
      activities: createActivities({ db, stripe, claimOwner: temporalClaimOwnerLookup(client) }),
      dataConverter,
    });
    const workflowId = `demo-run-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const summary = await worker.runUntil(
      client.workflow.execute(chargePendingInvoices, {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        // As of seeding, however long the worker took to start: the later invoice is left for you.
        args: [{ asOf: seededAt.toISOString() }],
        staticSummary: 'Demo charging run',
      }),
    );
    console.log(`\n${formatSummary(summary)}\n`);
    console.log(JSON.stringify(summary.results.map(({ invoice_id, status, payment_intent_id, error }) => ({ invoice_id, status, payment_intent_id, error }))));
    console.log(`\nWeb UI for this run: ${runUrl(config.temporal, workflowId)}`);
    console.log('The stack keeps running for the Web UI; stop it with `npm run stack down`.');
    console.log([
      '',
      'Next, in a shell with the export lines that `npm run stack status` prints:',
      '  npm run worker',
      `  npm run client -- run --wait        # from ${seeded.comingDue?.dueAt.toISOString()}: charges invoice ${seeded.comingDue?.invoiceId}, which came due after the demo`,
      '  npm run client -- invoices          # the declines and when dunning retries them',
      `  npm run client -- run --wait --as-of ${new Date(seededAt.getTime() + 2 * 86_400_000).toISOString()}   # two days on: the dunning retries`,
    ].join('\n'));
  } finally {
    await connection.close();
    await db.end();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
