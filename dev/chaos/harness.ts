/**
 * The chaos harness: a stack of its own (file-persisted Temporal dev server, private MariaDB,
 * Stripe simulator, all on free ports), worker *processes* started like `npm run worker`, and
 * the loop that runs one scenario: fresh data → runs under faults → recovery → invariants.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { startStack, type Stack } from '../stack/stack';
import { connectClientConnection, loadTemporalConnectionSettings } from '../../src/temporal/connection';
import type { SimulatorStats } from '../stripe-simulator';
import { createPool, type Pool } from '../../src/db/pool';
import { emptyTables } from '../stack/empty-tables';
import { seedInvoices } from './data-set';
import { checkInvariants, type InvariantReport } from './invariants';
import { recover, type RecoveryReport } from './recovery';
import { awaitRun, sleep, startRun, type RunRecord, type RunStarter } from './runs';
import { ScenarioContext } from './scenario-context';
import type { Scenario } from './scenarios';
import { WorkerProcess } from './worker-process';

export const CHAOS_TASK_QUEUE = 'invoice-charging-chaos';
/** Longer than an activity attempt can last once its run is gone (Stripe timeout 2 s, DB calls). */
const DRAIN_MS = 15_000;
const NO_FAULTS = { next: [], error500Rate: 0, resetBeforeRate: 0, dropAfterCommitRate: 0, slowResponseRate: 0, rateLimit429Rate: 0 };

export interface ScenarioReport {
  scenario: string;
  invoices: number;
  /** Faults actually injected: simulator counters plus process faults. */
  faults: Record<string, number>;
  invariants: InvariantReport;
  recovery: RecoveryReport;
  /** Process faults in order, with how far the data set had got: "MariaDB restart at 31%". */
  timeline: string[];
  runs: RunRecord[];
  durationMs: number;
}

/** What the harness needs of a stack: the dev stack, or the cluster stack (dev/cluster). */
export interface ChaosStack {
  temporal: { address: string; namespace: string; restart(): Promise<void> };
  mysql: { url: string; restart(): Promise<void> };
  stripe: Stack['stripe'];
  /** The worker's environment: TEMPORAL_* (TLS included), MYSQL_URL, STRIPE_*. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** A stack started by the caller (kept running by stop()); default: a dev stack of its own. */
  stack?: ChaosStack;
  workers?: number;
  /** Per scenario, including recovery. */
  scenarioTimeoutMs?: number;
  log?: (line: string) => void;
}

export class ChaosHarness {
  /** The current scenario's data-set size. */
  private invoices = 0;

  private constructor(
    readonly stack: ChaosStack,
    readonly db: Pool,
    private readonly connection: Connection,
    readonly client: Client,
    readonly workers: WorkerProcess[],
    readonly secretKey: string,
    readonly dataDir: string,
    private readonly options: HarnessOptions,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<ChaosHarness> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'invoice-chaos-'));
    // A key of its own, so the suite can prove it never shows up anywhere.
    const secretKey = options.stack?.env.STRIPE_SECRET_KEY ?? `sk_test_chaos${randomBytes(12).toString('hex')}`;
    const stack = options.stack ?? await startStack({
      dataDir, freePorts: true, ui: false,
      stripe: { apiKeys: [secretKey], rateLimitPerSecond: 60, seed: 20_260_115 },
    });
    const db = createPool(stack.mysql.url, { connectionLimit: 4 });
    // The same connection code as the worker: plaintext to the dev server, mTLS to the cluster.
    const connection = await connectClientConnection(loadTemporalConnectionSettings(stack.temporal, stack.env));
    const client = new Client({ connection, namespace: stack.temporal.namespace });
    const workers = Array.from({ length: options.workers ?? 2 }, (_, i) => new WorkerProcess({
      name: `worker-${i + 1}`,
      logFile: path.join(dataDir, 'logs', `worker-${i + 1}.log`),
      env: {
        ...stack.env,
        TASK_QUEUE: CHAOS_TASK_QUEUE,
        STRIPE_TIMEOUT_MS: '2000',
        STRIPE_RATE_LIMIT_PER_SECOND: '40',
        DB_POOL_SIZE: '10',
        WORKER_ACTIVITY_SLOTS: '30',
      },
    }));
    const harness = new ChaosHarness(stack, db, connection, client, workers, secretKey, dataDir, options);
    try {
      await Promise.all(workers.map((w) => w.start()));
    } catch (err) {
      await harness.stop();
      throw err;
    }
    return harness;
  }

  private starter(): RunStarter {
    return {
      client: this.client, taskQueue: CHAOS_TASK_QUEUE, namespace: this.stack.temporal.namespace,
      // Every result in the summary, so that each one can be checked against the database.
      input: { concurrency: 25, pageSize: 100, maxResultsInSummary: this.invoices + 100 },
    };
  }

  async runScenario(scenario: Scenario, invoices: number): Promise<ScenarioReport> {
    const log = this.options.log ?? (() => undefined);
    const started = Date.now();
    this.invoices = invoices;
    const deadline = started + (this.options.scenarioTimeoutMs ?? 6 * 60_000 + invoices * 200);
    await Promise.all(this.workers.filter((w) => !w.running).map((w) => w.start()));
    await emptyTables(this.db);
    this.stack.stripe.reset();
    this.stack.stripe.configure({ faults: NO_FAULTS });
    const seeded = await seedInvoices(this.db, this.stack.stripe, invoices);
    this.stack.stripe.configure({ faults: scenario.faults });

    const ctx = new ScenarioContext(scenario.name, invoices, this.stack, this.db, this.starter(), this.workers);
    log(`${scenario.name}: ${invoices} invoices`);
    try {
      await scenario.drive(ctx);
      await ctx.workersBack();
      for (const run of ctx.runs) if (!run.terminated) await awaitRun(run, deadline);
    } catch (err) {
      // Runs of a broken scenario must not charge the next scenario's invoices: stop them and
      // give their in-flight activities (bounded by the Stripe client timeout) time to end.
      if ((await ctx.terminateLeftovers()) > 0) await sleep(DRAIN_MS);
      throw err;
    } finally {
      this.stack.stripe.configure({ faults: NO_FAULTS });
    }
    const injected = { ...simulatorFaults(this.stack.stripe.stats()), ...ctx.processFaults };
    log(`${scenario.name}: runs ended after ${Math.round((Date.now() - started) / 1000)} s; recovering`);

    let recoveryRuns = 0;
    const recovery = await recover(this.db, this.stack.stripe, () => {
      recoveryRuns += 1;
      return startRun(this.starter(), 'recovery', `chaos-recovery-${recoveryRuns}-${Date.now()}`);
    }, deadline);
    const runs = [...ctx.runs, ...recovery.runs];
    const invariants = await checkInvariants(this.db, this.stack.stripe.ledger(), seeded, runs);
    return {
      scenario: scenario.name, invoices, faults: injected, invariants, recovery: recovery.report, timeline: ctx.timeline, runs,
      durationMs: Date.now() - started,
    };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.workers.map((w) => w.stop()));
    await this.connection.close().catch(() => undefined);
    await this.db.end().catch(() => undefined);
    if (!this.options.stack) await this.stack.stop();
  }

  /** Removes the stack's data and logs (after the secret scan has read them). */
  removeData(): void {
    if (!process.env.KEEP_CHAOS_DATA) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const FAULT_LABELS: Record<string, string> = {
  error500: '500', rateLimit429: '429', resetBefore: 'reset', dropAfterCommit: 'drop-after-commit', slowResponse: 'slow',
};

function simulatorFaults(stats: SimulatorStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, n] of Object.entries(stats.faults)) if (n > 0 && FAULT_LABELS[kind]) out[FAULT_LABELS[kind]] = n;
  // Natural 429s of the simulator's token bucket, beyond the injected ones.
  const bucket = stats.rateLimited - (stats.faults.rateLimit429 ?? 0);
  if (bucket > 0) out['429 (rate limit)'] = bucket;
  return out;
}
