/** One benchmark scenario: seed, configure the simulator, run, measure, verify. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { connectClientConnection, loadTemporalConnectionSettings } from '../src/temporal/connection';
import type { RowDataPacket } from 'mysql2/promise';
import type { Stack } from '../dev/stack/stack';
import type { Pool } from '../src/db/pool';
import { createStripeClient } from '../src/stripe/client';
import { STRIPE_ENDPOINT_DEFAULT_PER_SECOND } from '../src/config';
import { CHARGE_WORKFLOW_TYPE } from '../src/shared';
import { activitySlotsForChargeRate, concurrencyForChargeRate } from '../src/charge-concurrency';
import type { ChargeRunSummary } from '../src/workflows/charge-pending-invoices';
import { PhaseMeter, RssSampler } from './proc-stats';
import { emptyTables } from '../dev/stack/empty-tables';
import { STRIPE_RATE_LIMITS } from '../dev/stripe-simulator';
import { seedInvoices, type Seeded } from './seed';
import { runSequential } from './sequential';
import { chargeCycle, type ChargeCycle } from './charge-cycle';
import { startWorkerProcess, workerEntry, type WorkerProcess, type WorkerRuntime } from './worker-process';

export interface Tuning {
  /** The run's concurrency input; unset: the run derives it from the worker's rate, as in production. */
  concurrency?: number;
  pageSize: number;
  /** WORKER_ACTIVITY_SLOTS per worker process; unset: the worker derives it from its rate. */
  slots?: number;
  /** DB_POOL_SIZE per worker process. */
  dbPool: number;
  maxResultsInSummary: number;
}

export interface ScenarioSpec {
  name: string;
  kind: 'workflow' | 'noop' | 'sequential';
  /** Invoices (workflow, noop); for sequential: the most it charges (also bounded by maxMs). */
  n: number;
  latencyMs: number;
  /** The simulator's limit, and the worker's task-queue rate (unless workerRate is set). */
  rateLimit: number;
  workerRate?: number;
  workers: number;
  tuning: Tuning;
  /** Sequential only: time budget. */
  maxMs?: number;
  /** Name of the reference scenarios this one is compared with. */
  sequentialRef?: string;
  noopRef?: string;
  /** NODE_OPTIONS for the worker processes. */
  nodeOptions?: string;
  runtime: WorkerRuntime;
  /** Runs on the Temporal cluster (bench --cluster) instead of the dev server. */
  cluster?: boolean;
  /** Task-queue partitions of the server it runs on; default: the bench's main server (1). */
  partitions?: number | 'default';
  /**
   * Stripe's 2026 limits in the simulator instead of one bucket: a live-mode key (global 100/s),
   * every endpoint 25/s, `POST /v1/payment_intents` at `createPerSecond` (25 = Stripe's default,
   * more = a raised account); lock_timeout for every write that overlaps another of its customer.
   */
  stripeLimits?: { createPerSecond: number };
  /** The worker runs with its default STRIPE_RATE_LIMIT_PER_SECOND (the variable is not set). */
  workerDefaultRate?: boolean;
  /** Workflow only: this many extra invoices (consecutive ids, in the middle) of one customer. */
  oneCustomerInvoices?: number;
}

export interface ProcFigures {
  cpuSeconds: number;
  peakRssMb: number;
}

export interface ScenarioResult {
  name: string;
  kind: ScenarioSpec['kind'];
  n: number;
  processed: number;
  latencyMs: number;
  rateLimit: number;
  workerRate: number;
  workers: number;
  runtime: WorkerRuntime;
  partitions?: number | 'default';
  /** `concurrency`: what the run used (the summary's), derived from the worker's rate unless set. */
  tuning: Tuning & { concurrency: number; concurrencyDerived: boolean; slots: number };
  wallSeconds: number;
  invoicesPerSecond: number;
  /** min(rate limit, concurrency / latency): what the settings allow at best. */
  rateLimitBound: number;
  ratioToBound: number;
  /** Filled in once every scenario ran. */
  ratioToSequential?: number;
  ratioToNoop?: number;
  worker?: {
    cpuMsPerInvoice: number;
    cpuSeconds: number;
    /** VmHWM during the run (reset when the run started), max over worker processes. */
    peakRssRunMb: number;
    /** VmHWM from process start to ready: workflow bundling (webpack) dominates it. */
    peakRssStartupMb: number;
    rssSamplesMb: number[];
  };
  server?: ProcFigures;
  /** A cluster: each server process (frontend, history, matching, worker, PostgreSQL); `server` is their sum. */
  serverProcesses?: Record<string, ProcFigures>;
  mariadb?: ProcFigures;
  /** The bench process itself: client, and the in-process Stripe simulator. */
  benchProcess?: ProcFigures;
  history?: { runs: number; maxEvents: number; meanEvents: number; totalEvents: number; maxHistoryBytes: number; runStartsSec: number[] };
  /**
   * Profile: charges finished per second of the run (payment_attempt.finished_at), and the
   * throughput lost around continue-as-new (±2 s of each new run's start, against the mean rate).
   */
  timeline?: {
    perSecond: number[]; secondsLostAtContinueAsNew: number;
    /** Invoices of the customer with the most invoices (the 30-invoice block): seconds of its first and last charge. */
    busiestCustomer?: { invoices: number; firstSec: number; lastSec: number };
  };
  /** Where a charge's time went (bench/charge-cycle.ts): task queue, activity, workflow task. */
  cycle?: ChargeCycle;
  summaryBytes?: number;
  /** Cores the rest of the machine kept busy during the run (other work on this shared box). */
  otherLoadCores?: number;
  stripe: {
    requests: number;
    rateLimited429: number;
    /** 429 `lock_timeout`s (not in rateLimited429), writes that overlapped another of their customer, and 429s of both kinds per request. */
    lockTimeouts?: number;
    customerWriteOverlaps?: number;
    percent429?: number;
  };
  verified: string[];
  problems: string[];
}

export interface BenchContext {
  stack: Stack;
  db: Pool;
  client: Client;
  logDir: string;
  log: (line: string) => void;
  /** The Temporal server's processes by name; default: the dev server's one process. */
  serverPids?: Record<string, number>;
}

export async function openContext(stack: Stack, db: Pool, logDir: string, log: (line: string) => void, serverPids?: Record<string, number>): Promise<BenchContext> {
  mkdirSync(logDir, { recursive: true });
  // The worker's connection code: plaintext to the dev server, mutual TLS to a cluster (stack.env).
  const connection = await connectClientConnection(loadTemporalConnectionSettings(stack.temporal, stack.env));
  return { stack, db, client: new Client({ connection, namespace: stack.temporal.namespace }), logDir, log, ...(serverPids ? { serverPids } : {}) };
}

/** The charge rate the worker holds its task queue to (its default when the variable is unset). */
function workerRateOf(spec: ScenarioSpec): number {
  return spec.workerDefaultRate ? STRIPE_ENDPOINT_DEFAULT_PER_SECOND : (spec.workerRate ?? spec.rateLimit);
}

/** The run's concurrency: the --concurrency override, else what the run derives from the worker's rate. */
export function runConcurrency(spec: ScenarioSpec): number {
  return spec.tuning.concurrency ?? concurrencyForChargeRate(workerRateOf(spec));
}

function bound(spec: ScenarioSpec): number {
  const byConcurrency = spec.kind === 'sequential' ? 1 : runConcurrency(spec);
  const byLatency = spec.latencyMs > 0 ? byConcurrency / (spec.latencyMs / 1000) : Infinity;
  return Math.min(spec.rateLimit, byLatency);
}

/** The key the limits suite charges with: live mode, so the simulator applies the 100/s global limit. */
export const BENCH_LIVE_KEY = 'sk_live_bench_simulator';

function configureSimulator(ctx: BenchContext, spec: ScenarioSpec): void {
  ctx.stack.stripe.reset();
  const limits = spec.stripeLimits;
  ctx.stack.stripe.configure({
    ...(limits
      ? {
        rateLimits: { ...STRIPE_RATE_LIMITS, endpoints: { ...STRIPE_RATE_LIMITS.endpoints, 'POST /v1/payment_intents': limits.createPerSecond } },
        lockTimeout: { probability: 1, windowMs: 0 },
      }
      : { rateLimitPerSecond: spec.rateLimit, lockTimeout: { probability: 0, windowMs: 0 } }),
    latency: { distribution: 'fixed', meanMs: spec.latencyMs },
    faults: { next: [], error500Rate: 0, resetBeforeRate: 0, dropAfterCommitRate: 0, slowResponseRate: 0, rateLimit429Rate: 0 },
  });
}

const DUE = new Date(Date.now() - 86_400_000);
const AS_OF = new Date(Date.now() - 3_600_000);

export async function runScenario(ctx: BenchContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  if (spec.kind === 'sequential') return runSequentialScenario(ctx, spec);
  return runTemporalScenario(ctx, spec);
}

async function runSequentialScenario(ctx: BenchContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  await emptyTables(ctx.db);
  configureSimulator(ctx, spec);
  const seeded = await seedInvoices(ctx.db, ctx.stack.stripe, { count: spec.n, customers: Math.min(1000, spec.n), dueDate: DUE });
  const stripe = createStripeClient(Object.assign({ apiBase: new URL(ctx.stack.stripe.url), timeoutMs: 20_000 }, { secretKey: ctx.stack.env.STRIPE_SECRET_KEY }));
  const meter = new PhaseMeter([process.pid, ctx.stack.mysql.pid]);
  const res = await runSequential(ctx.db, stripe, { asOf: AS_OF, maxInvoices: spec.n, maxMs: spec.maxMs ?? 60_000 });
  const m = meter.end();
  const wallSeconds = res.wallMs / 1000;
  const result = baseResult(spec, res.processed, wallSeconds);
  result.otherLoadCores = round(meter.otherLoadCores(m), 2);
  const self = m.get(process.pid);
  result.worker = {
    cpuSeconds: self?.cpuSeconds ?? 0,
    // The loop shares its process with the simulator: CPU per invoice is an upper bound.
    cpuMsPerInvoice: res.processed ? ((self?.cpuSeconds ?? 0) * 1000) / res.processed : 0,
    peakRssRunMb: self?.peakRssMb ?? 0,
    peakRssStartupMb: 0,
    rssSamplesMb: [],
  };
  result.mariadb = procFigures(m.get(ctx.stack.mysql.pid));
  result.stripe = stripeStats(ctx);
  const paid = res.totals.paid ?? 0;
  const failed = res.totals.failed ?? 0;
  await verifyDb(ctx, result, { paid, failed, attempts: res.processed, pendingLeft: seeded.count - res.processed });
  return result;
}

async function runTemporalScenario(ctx: BenchContext, spec: ScenarioSpec): Promise<ScenarioResult> {
  const taskQueue = `bench-${spec.name}-${Date.now()}`;
  let seeded: Seeded | undefined;
  await emptyTables(ctx.db);
  configureSimulator(ctx, spec);
  if (spec.kind === 'workflow') {
    const t0 = Date.now();
    seeded = await seedInvoices(ctx.db, ctx.stack.stripe, {
      count: spec.n, customers: Math.min(1000, spec.n), dueDate: DUE, ...(spec.oneCustomerInvoices && { oneCustomerInvoices: spec.oneCustomerInvoices }),
    });
    ctx.log(`  seeded ${seeded.count} invoices in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  const workerRate = spec.workerRate ?? spec.rateLimit;
  const env: Record<string, string> = {
    ...ctx.stack.env,
    TASK_QUEUE: taskQueue,
    ...(spec.workerDefaultRate ? {} : { STRIPE_RATE_LIMIT_PER_SECOND: String(workerRate) }),
    ...(spec.stripeLimits && { STRIPE_SECRET_KEY: BENCH_LIVE_KEY, STRIPE_ALLOW_LIVE_KEY: 'true' }),
    ...(spec.tuning.slots !== undefined && { WORKER_ACTIVITY_SLOTS: String(spec.tuning.slots) }),
    DB_POOL_SIZE: String(spec.tuning.dbPool),
    BENCH_NOOP_INVOICES: String(spec.n),
    ...(spec.nodeOptions ? { NODE_OPTIONS: spec.nodeOptions } : {}),
  };
  const entry = workerEntry(spec.kind === 'noop' ? 'noop' : 'production', spec.runtime);
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < spec.workers; i += 1) {
      workers.push(await startWorkerProcess(entry, env, path.join(ctx.logDir, `${taskQueue}-w${i + 1}.log`)));
    }
    // The worker's start-up check made one Stripe request; count the run's requests only.
    const requestsBefore = ctx.stack.stripe.stats().requests;
    const serverPids = ctx.serverPids ?? { temporal: ctx.stack.temporal.pid };
    const pids = [...workers.map((w) => w.pid), ...Object.values(serverPids), ctx.stack.mysql.pid, process.pid];
    const samplers = workers.map((w) => new RssSampler(w.pid).start());
    const meter = new PhaseMeter(pids);
    const workflowId = `${taskQueue}-run`;
    const started = Date.now();
    const handle = await ctx.client.workflow.start(spec.kind === 'noop' ? 'noopFanout' : CHARGE_WORKFLOW_TYPE, {
      taskQueue,
      workflowId,
      args: [{
        asOf: AS_OF.toISOString(),
        ...(spec.tuning.concurrency !== undefined && { concurrency: spec.tuning.concurrency }),
        pageSize: spec.tuning.pageSize,
        maxResultsInSummary: spec.tuning.maxResultsInSummary,
      }],
    });
    const ticker = setInterval(() => {
      handle.query<{ processed: number; found: number }>('progress')
        .then((p) => ctx.log(`  ${Math.round((Date.now() - started) / 1000)}s: ${p.processed} processed so far (${(p.processed / ((Date.now() - started) / 1000)).toFixed(1)}/s)`))
        .catch(() => undefined);
    }, 20_000);
    // Bounded: a run that stalls (a broken worker, an unregistered activity) is terminated.
    // The limits suite runs late on a shared machine: at least 15 min before it gives up.
    const deadlineMs = Math.max(spec.stripeLimits ? 900_000 : 180_000, (4_000 * spec.n) / Math.min(bound(spec), 500));
    let deadline: NodeJS.Timeout | undefined;
    let summary: ChargeRunSummary;
    try {
      summary = await Promise.race([
        handle.result() as Promise<ChargeRunSummary>,
        new Promise<never>((_, reject) => {
          deadline = setTimeout(() => {
            reject(new Error(`run did not finish within ${Math.round(deadlineMs / 1000)}s: terminated`));
            handle.terminate('bench deadline').catch(() => undefined);
          }, deadlineMs);
        }),
      ]);
    } finally {
      clearInterval(ticker);
      clearTimeout(deadline);
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const m = meter.end();
    const otherLoad = meter.otherLoadCores(m);
    for (const s of samplers) s.stop();

    const result = baseResult(spec, summary.processed, wallSeconds);
    result.workerRate = workerRate;
    result.otherLoadCores = round(otherLoad, 2);
    const workerFigures = workers.map((w) => m.get(w.pid));
    const cpu = workerFigures.reduce((sum, f) => sum + (f?.cpuSeconds ?? 0), 0);
    result.worker = {
      cpuSeconds: round(cpu, 2),
      cpuMsPerInvoice: summary.processed ? round((cpu * 1000) / summary.processed, 3) : 0,
      peakRssRunMb: Math.round(Math.max(...workerFigures.map((f) => f?.peakRssMb ?? 0))),
      peakRssStartupMb: Math.round(Math.max(...workers.map((w) => w.startup.peakRssMb))),
      rssSamplesMb: samplers[0]?.samples.map((s) => s.rssMb) ?? [],
    };
    if (ctx.serverPids) {
      const each = Object.entries(ctx.serverPids).map(([name, pid]) => [name, procFigures(m.get(pid))] as const);
      result.serverProcesses = Object.fromEntries(each.filter((e): e is readonly [string, ProcFigures] => e[1] !== undefined));
      const figures = Object.values(result.serverProcesses);
      result.server = { cpuSeconds: round(figures.reduce((a, f) => a + f.cpuSeconds, 0), 2), peakRssMb: figures.reduce((a, f) => a + f.peakRssMb, 0) };
    } else {
      result.server = procFigures(m.get(ctx.stack.temporal.pid));
    }
    result.mariadb = procFigures(m.get(ctx.stack.mysql.pid));
    result.benchProcess = procFigures(m.get(process.pid));
    const stats = ctx.stack.stripe.stats();
    const requests = stats.requests - requestsBefore;
    result.stripe = {
      requests, rateLimited429: stats.rateLimited, lockTimeouts: stats.lockTimeouts, customerWriteOverlaps: stats.customerWriteOverlaps,
      percent429: requests ? round(((stats.rateLimited + stats.lockTimeouts) / requests) * 100, 3) : 0,
    };
    result.summaryBytes = Buffer.byteLength(JSON.stringify(summary));
    result.history = await historyOfChain(ctx.client, workflowId, summary.continuedAsNew + 1, started);
    if (spec.kind === 'workflow') result.timeline = await timeline(ctx, started, result.history?.runStartsSec ?? []);
    result.cycle = await chargeCycle(ctx.client, workflowId);
    ctx.log(`  charge cycle: ${JSON.stringify(result.cycle)}`);

    if (spec.kind === 'noop') {
      check(result, summary.totals.paid === spec.n && summary.found === spec.n, `summary: ${spec.n} found and paid`, `summary found ${summary.found}, paid ${summary.totals.paid}`);
    } else if (seeded) {
      if (spec.stripeLimits) {
        const pct = result.stripe.percent429 ?? 0;
        check(result, pct <= 0.5, `429s (rate_limit + lock_timeout) ${pct} % of requests ≤ 0.5 %`, `429s are ${pct} % of requests (> 0.5 %)`);
        check(result, stats.lockTimeouts === 0 && stats.customerWriteOverlaps === 0, 'no lock_timeout, no overlapping writes for a customer',
          `${stats.lockTimeouts} lock_timeouts, ${stats.customerWriteOverlaps} overlapping writes for a customer`);
      }
      checkSummary(result, summary, seeded, spec.tuning.maxResultsInSummary);
      await verifyDb(ctx, result, { paid: seeded.expectedPaid, failed: seeded.expectedFailed, attempts: seeded.count, pendingLeft: 0 });
    }
    checkHistory(result);
    return result;
  } finally {
    for (const w of workers) await w.stop();
  }
}

/** A scenario that threw: reported as a row with its error, so the other scenarios still run. */
export function failedResult(spec: ScenarioSpec, err: unknown): ScenarioResult {
  const r = baseResult(spec, 0, 0);
  r.problems.push(err instanceof Error ? err.message : String(err));
  return r;
}

function baseResult(spec: ScenarioSpec, processed: number, wallSeconds: number): ScenarioResult {
  const rate = wallSeconds > 0 ? processed / wallSeconds : 0;
  const b = bound(spec);
  return {
    name: spec.name,
    kind: spec.kind,
    n: spec.n,
    processed,
    latencyMs: spec.latencyMs,
    rateLimit: spec.rateLimit,
    workerRate: spec.workerRate ?? spec.rateLimit,
    workers: spec.kind === 'sequential' ? 0 : spec.workers,
    runtime: spec.runtime,
    tuning: {
      ...spec.tuning, concurrency: runConcurrency(spec), concurrencyDerived: spec.tuning.concurrency === undefined,
      slots: spec.tuning.slots ?? activitySlotsForChargeRate(workerRateOf(spec)),
    },
    wallSeconds: round(wallSeconds, 2),
    invoicesPerSecond: round(rate, 2),
    rateLimitBound: round(b, 2),
    ratioToBound: round(rate / b, 3),
    stripe: { requests: 0, rateLimited429: 0 },
    verified: [],
    problems: [],
  };
}

function procFigures(f: { cpuSeconds: number; peakRssMb: number } | undefined): ProcFigures | undefined {
  return f ? { cpuSeconds: round(f.cpuSeconds, 2), peakRssMb: Math.round(f.peakRssMb) } : undefined;
}

function stripeStats(ctx: BenchContext): ScenarioResult['stripe'] {
  const s = ctx.stack.stripe.stats();
  return { requests: s.requests, rateLimited429: s.rateLimited };
}

function check(result: ScenarioResult, ok: boolean, what: string, problem: string): void {
  if (ok) result.verified.push(what);
  else result.problems.push(problem);
}

function checkSummary(result: ScenarioResult, s: ChargeRunSummary, seeded: Seeded, maxResults: number): void {
  check(result, s.found === seeded.count && s.processed === seeded.count, `summary: found = processed = ${seeded.count}`,
    `summary found ${s.found}, processed ${s.processed}, expected ${seeded.count}`);
  check(result, s.totals.paid === seeded.expectedPaid && s.totals.failed === seeded.expectedFailed,
    `summary totals: ${seeded.expectedPaid} paid, ${seeded.expectedFailed} failed`,
    `summary totals ${JSON.stringify(s.totals)}, expected ${seeded.expectedPaid} paid / ${seeded.expectedFailed} failed`);
  const expectedResults = Math.min(seeded.count, maxResults);
  check(result, s.results.length === expectedResults && s.resultsTruncated === seeded.count > maxResults,
    `summary results capped at ${expectedResults} (truncated: ${seeded.count > maxResults})`,
    `summary holds ${s.results.length} results (truncated ${s.resultsTruncated}), expected ${expectedResults}`);
  const expectedConcurrency = result.tuning.concurrency;
  check(result, s.concurrency === expectedConcurrency,
    `the run kept ${expectedConcurrency} charges in flight at most (${result.tuning.concurrencyDerived ? 'derived from the worker\'s rate' : 'the input'})`,
    `the run used concurrency ${s.concurrency}, expected ${expectedConcurrency}`);
}

function checkHistory(result: ScenarioResult): void {
  const h = result.history;
  if (!h) return;
  check(result, h.maxEvents <= 10_240, `every execution ≤ 10,240 history events (max ${h.maxEvents})`, `an execution has ${h.maxEvents} history events`);
  const bytes = result.summaryBytes ?? 0;
  check(result, bytes < 512 * 1024, `summary payload ${Math.round(bytes / 1024)} KB < 512 KB`, `summary payload is ${bytes} bytes`);
}

/** DB and simulator ledger: every invoice in its expected state, exactly one charge per paid invoice. */
async function verifyDb(
  ctx: BenchContext,
  result: ScenarioResult,
  expected: { paid: number; failed: number; attempts: number; pendingLeft: number },
): Promise<void> {
  const [byStatus] = await ctx.db.query<RowDataPacket[]>('SELECT status, COUNT(*) AS n FROM invoice GROUP BY status');
  const counts = Object.fromEntries(byStatus.map((r) => [String(r.status), Number(r.n)]));
  const want: Record<string, number> = { paid: expected.paid, failed: expected.failed, pending: expected.pendingLeft };
  const same = Object.keys({ ...counts, ...want }).every((k) => (counts[k] ?? 0) === (want[k] ?? 0));
  check(result, same, `DB: ${expected.paid} paid, ${expected.failed} failed, ${expected.pendingLeft} pending`,
    `DB statuses ${JSON.stringify(counts)}, expected ${JSON.stringify(want)}`);

  const [[attempts]] = await ctx.db.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n, COUNT(DISTINCT invoice_id) AS invoices FROM payment_attempt',
  );
  check(result, Number(attempts?.n) === expected.attempts && Number(attempts?.invoices) === expected.attempts,
    `DB: one attempt per processed invoice (${expected.attempts})`,
    `DB has ${String(attempts?.n)} attempts over ${String(attempts?.invoices)} invoices, expected ${expected.attempts}`);

  const [paidRows] = await ctx.db.query<RowDataPacket[]>("SELECT id, stripe_payment_intent_id FROM invoice WHERE status = 'paid'");
  const paidIntent = new Map(paidRows.map((r) => [String(r.id), String(r.stripe_payment_intent_id)]));
  const charges = new Map<string, string[]>();
  for (const e of ctx.stack.stripe.ledger()) {
    const id = e.metadata.invoice_id ?? '?';
    charges.set(id, [...(charges.get(id) ?? []), e.paymentIntentId]);
  }
  let bad = 0;
  for (const [id, intents] of charges) if (intents.length !== 1 || paidIntent.get(id) !== intents[0]) bad += 1;
  for (const id of paidIntent.keys()) if (!charges.has(id)) bad += 1;
  check(result, bad === 0 && charges.size === expected.paid,
    `ledger: exactly one charge per paid invoice (${charges.size}), matching the stored PaymentIntent`,
    `ledger: ${charges.size} invoices charged, ${bad} with a missing, extra or mismatched charge`);
}

async function timeline(ctx: BenchContext, startedMs: number, runStartsSec: number[]): Promise<ScenarioResult['timeline']> {
  const [rows] = await ctx.db.query<RowDataPacket[]>(
    `SELECT FLOOR(TIMESTAMPDIFF(MICROSECOND, ?, finished_at) / 1000000) AS s, COUNT(*) AS n
       FROM payment_attempt WHERE finished_at IS NOT NULL GROUP BY s ORDER BY s`,
    [new Date(startedMs)],
  );
  const perSecond: number[] = [];
  for (const r of rows) {
    const s = Number(r.s);
    if (s >= 0 && s < 100_000) perSecond[s] = Number(r.n);
  }
  for (let i = 0; i < perSecond.length; i += 1) perSecond[i] ??= 0;
  const total = perSecond.reduce((a, b) => a + b, 0);
  const mean = perSecond.length ? total / perSecond.length : 0;
  let lost = 0;
  for (const b of runStartsSec.slice(1)) {
    const from = Math.max(0, Math.floor(b) - 2);
    const window = perSecond.slice(from, from + 4);
    const got = window.reduce((a, c) => a + c, 0);
    if (mean > 0) lost += Math.max(0, window.length * mean - got) / mean;
  }
  const [busiest] = await ctx.db.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n, MIN(TIMESTAMPDIFF(MICROSECOND, ?, a.finished_at)) / 1e6 AS first_s, MAX(TIMESTAMPDIFF(MICROSECOND, ?, a.finished_at)) / 1e6 AS last_s
       FROM payment_attempt a JOIN invoice i ON i.id = a.invoice_id
      WHERE a.finished_at IS NOT NULL GROUP BY i.customer_id ORDER BY n DESC LIMIT 1`,
    [new Date(startedMs), new Date(startedMs)],
  );
  const b = busiest[0];
  return {
    perSecond, secondsLostAtContinueAsNew: round(lost, 1),
    ...(b && { busiestCustomer: { invoices: Number(b.n), firstSec: round(Number(b.first_s), 1), lastSec: round(Number(b.last_s), 1) } }),
  };
}

/** History length of every execution of the continue-as-new chain (visibility can lag a moment). */
async function historyOfChain(client: Client, workflowId: string, expectedRuns: number, startedMs: number): Promise<ScenarioResult['history']> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const lengths: number[] = [];
    const sizes: number[] = [];
    const starts: number[] = [];
    let closed = 0;
    for await (const e of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      lengths.push(e.historyLength);
      sizes.push(e.historySize ?? 0);
      starts.push(Math.round((e.startTime.getTime() - startedMs) / 100) / 10);
      if (e.closeTime) closed += 1;
    }
    if ((lengths.length >= expectedRuns && closed === lengths.length && lengths.every((l) => l > 0)) || attempt === 19) {
      const total = lengths.reduce((a, b) => a + b, 0);
      return {
        runs: lengths.length,
        maxEvents: Math.max(0, ...lengths),
        meanEvents: lengths.length ? Math.round(total / lengths.length) : 0,
        totalEvents: total,
        maxHistoryBytes: Math.max(0, ...sizes),
        runStartsSec: starts.sort((a, b) => a - b),
      };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
