/**
 * `npm run bench`: throughput and footprint of the charging run against its two reference points,
 * on a private stack (Temporal dev server, MariaDB, Stripe simulator) on free ports.
 *
 *   npm run bench                       the standard suite (300 ms / 100/s and zero latency)
 *   npm run bench -- --quick            the same at small N, for development
 *   npm run bench -- --limits           Stripe's per-endpoint limits: 25/s (default) vs 100/s (raised), lanes, 429s
 *   npm run bench -- --scale            10k vs 100k invoices (zero latency, 1000/s): memory and continue-as-new
 *   npm run bench -- --db-scale         a business database of 100k vs 10M invoices: adoption and query latency (bench/db-scale.ts)
 *   npm run bench -- --cluster          300 ms scenario and no-op ceiling on the dev server and on the cluster (dev/cluster), one run
 *   npm run bench -- --only wf-300      some scenarios of the chosen suite (comma separated)
 *   npm run bench -- --concurrency 60 --page-size 200 --slots 100 --db-pool 20   override the tuning
 *
 * Results: a table on stdout, the full figures in bench/results/<time>-<suite>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { createPool } from '../src/db/pool';
import { DEFAULTS } from '../src/workflows/charge-pending-invoices';
import { formatTable } from './report';
import { runDbScale } from './db-scale';
import { startBenchStack } from './stack';
import { compileWorkers, workerNodeFlags } from './worker-process';
import { startTemporalServer, type TemporalServer } from '../dev/stack/temporal-server';
import { CLUSTER_SERVICES, startCluster, type TemporalCluster } from '../dev/cluster/cluster';
import { failedResult, openContext, runConcurrency, runScenario, type BenchContext, type ScenarioResult, type ScenarioSpec, type Tuning } from './scenarios';

interface Options {
  quick: boolean;
  limits: boolean;
  dbScale: boolean;
  scale: boolean;
  only?: string;
  n?: number;
  concurrency?: number;
  pageSize?: number;
  slots?: number;
  dbPool?: number;
  keep: boolean;
  partitions?: number;
  workerNodeOptions?: string;
  tsx: boolean;
  cluster: boolean;
  serverDb: 'file' | 'memory';
}

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${v}`);
  return n;
};

const program = new Command('bench')
  .option('--quick', 'small N, for development', false)
  .option('--limits', "Stripe's limits: 25/s (default) and 100/s (raised) charges, 300 ms, 5,000 invoices incl. 30 of one customer", false)
  .option('--scale', '10k vs 100k invoices at zero latency (1000/s): continue-as-new and memory', false)
  .option('--db-scale', 'the queries on 100k vs 10M invoices, adoption of a 1M-row table under inserts (keeps .data/bench-db-scale)', false)
  .option('--only <names>', 'run only these scenarios (comma separated)')
  .option('--n <n>', 'invoices per workflow scenario', int)
  .option('--concurrency <n>', 'charges in flight per run (default: derived from the worker rate, as runs do)', int)
  .option('--page-size <n>', 'invoices per page', int)
  .option('--slots <n>', 'WORKER_ACTIVITY_SLOTS (default: derived from the worker rate, as the worker does)', int)
  .option('--db-pool <n>', 'DB_POOL_SIZE', int)
  .option('--partitions <n>', 'task-queue partitions on the bench server (matching.numTaskqueue{Read,Write}Partitions; default 1)', int)
  .option('--worker-node-options <flags>', 'NODE_OPTIONS for the worker processes, e.g. --max-old-space-size=256')
  .option('--tsx', 'run the workers under tsx (npm run worker) instead of compiled JS', false)
  .option('--cluster', 'wf-300 and noop-100 on the dev server and on a Temporal cluster (separate services, PostgreSQL, mTLS); with --limits: the 100/s rows on the cluster too', false)
  .addOption(new Option('--server-db <where>', "the dev server's SQLite: on disk, WAL (as `npm run stack` runs it), or in memory (no disk writes)").choices(['file', 'memory']).default('file'))
  .option('--keep', 'keep the stack data directory', false);

function plan(o: Options): { suite: string; specs: ScenarioSpec[] } {
  const tuning: Tuning = {
    ...(o.concurrency !== undefined && { concurrency: o.concurrency }),
    pageSize: o.pageSize ?? DEFAULTS.pageSize,
    ...(o.slots !== undefined && { slots: o.slots }),
    dbPool: o.dbPool ?? 20,
    maxResultsInSummary: DEFAULTS.maxResultsInSummary,
  };
  const base = { workers: 1, tuning, runtime: o.tsx ? 'tsx' as const : 'compiled' as const, ...(o.workerNodeOptions ? { nodeOptions: o.workerNodeOptions } : {}) };
  if (o.limits) {
    // Stripe's 2026 limits (issue 11): the charge endpoint at its 25/s default (the worker's
    // default rate) and raised to 100/s, 300 ms, one customer with 30 consecutive invoices.
    const n = o.n ?? (o.quick ? 600 : 5000);
    const at = (create: number) => ({ latencyMs: 300, rateLimit: create, stripeLimits: { createPerSecond: create } });
    return {
      suite: o.quick ? 'limits-quick' : 'limits',
      specs: [
        { ...base, ...at(25), name: 'seq-300', kind: 'sequential', n: o.quick ? 30 : 150, maxMs: o.quick ? 15_000 : 60_000 },
        { ...base, ...at(25), name: 'noop-25', kind: 'noop', n: o.quick ? 300 : 1500 },
        { ...base, ...at(25), name: 'wf-300-25', kind: 'workflow', n, oneCustomerInvoices: 30, workerDefaultRate: true, sequentialRef: 'seq-300', noopRef: 'noop-25' },
        { ...base, ...at(100), name: 'noop-100', kind: 'noop', n: o.quick ? 600 : 2000 },
        { ...base, ...at(100), name: 'wf-300-100', kind: 'workflow', n, oneCustomerInvoices: 30, sequentialRef: 'seq-300', noopRef: 'noop-100' },
        // --cluster: the raised 100/s again on the production topology (PostgreSQL, mTLS).
        ...(o.cluster
          ? [
            { ...base, ...at(100), name: 'noop-100-cluster', kind: 'noop' as const, n: o.quick ? 600 : 2000, cluster: true },
            { ...base, ...at(100), name: 'wf-300-100-cluster', kind: 'workflow' as const, n, oneCustomerInvoices: 30, sequentialRef: 'seq-300', noopRef: 'noop-100-cluster', cluster: true },
          ]
          : []),
      ],
    };
  }
  if (o.scale) {
    const small = o.n ?? 10_000;
    return {
      suite: 'scale',
      specs: [
        { ...base, name: `wf-0-${small / 1000}k`, kind: 'workflow', n: small, latencyMs: 0, rateLimit: 1000 },
        { ...base, name: 'wf-0-100k', kind: 'workflow', n: o.quick ? 20_000 : 100_000, latencyMs: 0, rateLimit: 1000 },
      ],
    };
  }
  const n = o.n ?? (o.quick ? 600 : o.cluster ? 1500 : 10_000);
  const slow = { latencyMs: 300, rateLimit: 100 };
  if (o.cluster) {
    // The same scenarios beside each other: the dev server, then the cluster (same MariaDB and simulator).
    return {
      suite: 'cluster',
      specs: [
        { ...base, ...slow, name: 'noop-100', kind: 'noop', n },
        { ...base, ...slow, name: 'wf-300', kind: 'workflow', n, noopRef: 'noop-100' },
        { ...base, ...slow, name: 'noop-100-cluster', kind: 'noop', n, cluster: true },
        { ...base, ...slow, name: 'wf-300-cluster', kind: 'workflow', n, noopRef: 'noop-100-cluster', cluster: true },
      ],
    };
  }
  const fast = { latencyMs: 0, rateLimit: 1000 };
  return {
    suite: o.quick ? 'quick' : 'standard',
    specs: [
      { ...base, ...slow, name: 'seq-300', kind: 'sequential', n: o.quick ? 30 : 150, maxMs: o.quick ? 15_000 : 60_000 },
      { ...base, ...slow, name: 'noop-100', kind: 'noop', n: Math.min(n, o.quick ? 600 : 3000) },
      { ...base, ...slow, name: 'wf-300', kind: 'workflow', n, sequentialRef: 'seq-300', noopRef: 'noop-100' },
      { ...base, ...slow, name: 'wf-300-2w', kind: 'workflow', n: Math.ceil(n / 2), workers: 2, sequentialRef: 'seq-300', noopRef: 'noop-100' },
      // The same on a server with its default task-queue partitions (4): the limit is split 4 ways.
      { ...base, ...slow, name: 'wf-300-4p', kind: 'workflow', n: Math.ceil(n / 2), partitions: 'default', sequentialRef: 'seq-300', noopRef: 'noop-100' },
      { ...base, ...fast, name: 'seq-0', kind: 'sequential', n: o.quick ? 200 : 2000, maxMs: o.quick ? 10_000 : 30_000 },
      { ...base, ...fast, name: 'noop-0', kind: 'noop', n },
      { ...base, ...fast, name: 'wf-0', kind: 'workflow', n, sequentialRef: 'seq-0', noopRef: 'noop-0' },
    ],
  };
}

function partitionConfig(partitions: number): Record<string, number> {
  return { 'matching.numTaskqueueReadPartitions': partitions, 'matching.numTaskqueueWritePartitions': partitions };
}

function machine(): Record<string, string | number> {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    temporalCli: sh(path.join(__dirname, '..', '.tools', 'venv', 'bin', 'temporal'), ['--version']),
    loadAverageAtStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

async function main(): Promise<void> {
  const o = program.parse().opts<Options>();
  if (o.dbScale) return runDbScale({ keepData: o.keep });
  const { suite, specs: all } = plan(o);
  const only = o.only?.split(',').map((s) => s.trim());
  const specs = only ? all.filter((s) => only.includes(s.name)) : all;
  if (specs.length === 0) throw new Error(`no scenario named ${o.only}; this suite has ${all.map((s) => s.name).join(', ')}`);

  const log = (line: string) => console.log(line);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'invoice-bench-'));
  const info = { startedAt: new Date().toISOString(), suite, workers: `${o.tsx ? 'node --import tsx src/worker.ts' : 'node lib/bench-worker/src/worker.js (tsc output)'} ${workerNodeFlags().join(' ')}`.trim(), partitions: o.partitions ?? 1, serverDb: o.serverDb, machine: machine() };
  log(`bench ${suite}: ${specs.map((s) => s.name).join(', ')} (dev server SQLite: ${o.serverDb}; load average ${info.machine.loadAverageAtStart})`);
  if (!o.tsx) {
    log('compiling the workers (tsc)…');
    compileWorkers();
  }
  log(`starting a private stack in ${dataDir} (free ports)…`);
  // One task-queue partition on the main server (see BENCHMARKS.md: the server splits the
  // task-queue rate limit evenly over the partitions); scenarios that ask for the server's
  // default get a second server without that setting, started when first needed.
  const stack = await startBenchStack(dataDir, partitionConfig(o.partitions ?? 1), o.serverDb);
  const db = createPool(stack.mysql.url, { connectionLimit: 4 });
  const results: ScenarioResult[] = [];
  const extraServers: TemporalServer[] = [];
  const contexts = new Map<number | 'default', BenchContext>();
  let cluster: TemporalCluster | undefined;
  let clusterCtx: BenchContext | undefined;
  try {
    const logDir = path.join(dataDir, 'logs');
    contexts.set(o.partitions ?? 1, await openContext(stack, db, logDir, log));
    for (const spec of specs) {
      const key = spec.partitions ?? o.partitions ?? 1;
      let ctx = spec.cluster ? clusterCtx : contexts.get(key);
      if (spec.cluster && !ctx) {
        log('starting a Temporal cluster (dev/cluster: frontend, history, matching, worker on PostgreSQL, mTLS)…');
        cluster = await startCluster({ dataDir: path.join(dataDir, 'cluster'), chargingQueuePartitions: o.partitions ?? 1, chargingTaskQueues: ['*'], log });
        const serverPids: Record<string, number> = Object.fromEntries(CLUSTER_SERVICES.map((s) => [s, cluster!.services[s].pid]));
        serverPids.postgres = cluster.postgres.pid;
        clusterCtx = await openContext({ ...stack, temporal: { ...stack.temporal, address: cluster.address, namespace: cluster.namespace, pid: cluster.services.frontend.pid }, env: { ...stack.env, ...cluster.env } }, db, logDir, log, serverPids);
        ctx = clusterCtx;
      }
      if (!ctx) {
        log(`starting a second Temporal server (${key === 'default' ? 'default partitions' : `${key} partitions`})…`);
        const server = await startTemporalServer({ dataDir: path.join(dataDir, `temporal-${key}`), ui: false, dynamicConfig: key === 'default' ? {} : partitionConfig(key), ...(o.serverDb === 'memory' && { inMemory: true }) });
        extraServers.push(server);
        ctx = await openContext({ ...stack, temporal: server, env: { ...stack.env, TEMPORAL_ADDRESS: server.address } }, db, logDir, log);
        contexts.set(key, ctx);
      }
      log(`▶ ${spec.name}: ${spec.kind}, N=${spec.n}, latency ${spec.latencyMs} ms, limit ${spec.rateLimit}/s, concurrency ${runConcurrency(spec)}${spec.tuning.concurrency === undefined ? ' (from the worker\'s rate)' : ''}, ${spec.workers} worker(s)`);
      const r = await runScenario(ctx, spec).catch((err: unknown) => failedResult(spec, err));
      r.partitions = key;
      results.push(r);
      log(`  ${r.processed} in ${r.wallSeconds}s = ${r.invoicesPerSecond}/s (${Math.round(r.ratioToBound * 100)} % of bound ${r.rateLimitBound}/s)`
        + `${r.problems.length ? `  PROBLEMS: ${r.problems.join('; ')}` : `  verified: ${r.verified.length} checks`}`);
    }
  } finally {
    for (const ctx of [...contexts.values(), ...(clusterCtx ? [clusterCtx] : [])]) await ctx.client.connection.close().catch(() => undefined);
    await cluster?.stop();
    await db.end();
    for (const server of extraServers) await server.stop();
    await stack.stop();
    if (!o.keep) rmSync(dataDir, { recursive: true, force: true });
  }

  for (const r of results) {
    const seq = results.find((x) => x.name === specs.find((s) => s.name === r.name)?.sequentialRef);
    const noop = results.find((x) => x.name === specs.find((s) => s.name === r.name)?.noopRef);
    if (seq) r.ratioToSequential = Math.round((r.invoicesPerSecond / seq.invoicesPerSecond) * 10) / 10;
    if (noop) r.ratioToNoop = Math.round((r.invoicesPerSecond / noop.invoicesPerSecond) * 1000) / 1000;
  }
  const finishedAt = new Date().toISOString();
  const report = { ...info, finishedAt, loadAverageAtEnd: os.loadavg().map((l) => l.toFixed(2)).join(' '), results };
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${info.startedAt.replace(/[:.]/g, '-')}-${suite}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log('');
  log(formatTable(results));
  log('');
  log(`machine: ${info.machine.cpus} × ${info.machine.cpuModel}, ${info.machine.memoryGb} GB, Node ${info.machine.node}; load average ${info.machine.loadAverageAtStart} → ${report.loadAverageAtEnd}`);
  log(`results: ${path.relative(process.cwd(), file)}`);
  if (o.cluster) log(clusterComparison(results));
  const failed = results.filter((r) => r.problems.length > 0);
  if (failed.length > 0) {
    for (const r of failed) log(`✗ ${r.name}: ${r.problems.join('; ')}`);
    process.exitCode = 1;
  }
}

/** The cluster against the dev server at the same limit (goal: >= 90 %), and what its processes used. */
function clusterComparison(results: ScenarioResult[]): string {
  const rate = (name: string) => results.find((r) => r.name === name && r.problems.length === 0)?.invoicesPerSecond;
  const lines = ['', 'cluster vs dev server (same limit, same MariaDB and simulator):'];
  for (const [dev, cl] of [['wf-300', 'wf-300-cluster'], ['noop-100', 'noop-100-cluster']] as const) {
    const a = rate(dev);
    const b = rate(cl);
    lines.push(`  ${cl}: ${b ?? '?'} inv/s vs ${dev}: ${a ?? '?'} inv/s = ${a && b ? `${((b / a) * 100).toFixed(1)} %` : 'n/a'} (goal >= 90 %)`);
  }
  for (const r of results.filter((x) => x.serverProcesses)) {
    const each = Object.entries(r.serverProcesses ?? {}).map(([name, f]) => `${name} ${f.cpuSeconds.toFixed(1)} s CPU / ${f.peakRssMb} MB`).join(', ');
    lines.push(`  ${r.name} server processes: ${each}`);
  }
  for (const r of results.filter((x) => !x.serverProcesses && x.server)) lines.push(`  ${r.name} dev server: ${r.server!.cpuSeconds.toFixed(1)} s CPU / ${r.server!.peakRssMb} MB`);
  return lines.join('\n');
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
