/**
 * `npm run bench -- --db-scale`: the service's queries on a big business database (BENCHMARKS.md).
 *
 * One private MariaDB (datadir kept in .data/bench-db-scale, reused across runs: the 10 M fill
 * takes minutes) with three databases: the business tables filled with 100,000 and 10,000,000
 * invoices and adopted with `migrate` (timed), and a 1,000,000-row table refilled each run and
 * adopted while a client keeps inserting (insert latencies recorded). Then, per scale, each query
 * is timed (median and p95 of repeated runs, warm buffer pool) and EXPLAINed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../dev/stack/mariadb';
import { countChargeAttempts, knownCard } from '../src/db/dunning';
import { listDueInvoices, listProcessingClaims, listRetryDueInvoices, loadInvoice, loadLatestAttempt } from '../src/db/invoices';
import type { Tx } from '../src/db/sql';
import { insertAttempt, resolveAttempt, startAttemptOnInvoice } from '../src/db/transitions';
import { migrate } from '../src/db/migrate';
import { createPool, type Pool } from '../src/db/pool';
import { fillBusinessTables, fillDunningState, fillShape } from './db-scale-fill';

const PAGE = 200;
const REPEAT = Number(process.env.DB_SCALE_REPEAT ?? 40);
const log = (m: string) => console.log(m);

interface Timing { medianMs: number; p95Ms: number; runs: number }
interface QueryResult { name: string; timing: Timing; rows: number; explain: Array<Record<string, unknown>> }

function stats(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { medianMs: r(at(0.5)), p95Ms: r(at(0.95)), runs: samples.length };
}

async function explain(db: Pool, sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
  const [rows] = await db.query<RowDataPacket[]>(`EXPLAIN ${sql}`, params);
  return rows.map((r) => ({ table: r.table as unknown, type: r.type as unknown, key: r.key as unknown, key_len: r.key_len as unknown, rows: r.rows as unknown, Extra: r.Extra as unknown }));
}

function urlFor(server: MariaDb, database: string): string {
  return server.url.replace(/\/[^/]*$/, `/${database}`);
}

async function ensureDatabase(server: MariaDb, database: string): Promise<void> {
  const c = await mysql.createConnection({ uri: server.url });
  await c.query(`CREATE DATABASE IF NOT EXISTS ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await c.end();
}

async function tableExists(db: Pool, name: string): Promise<boolean> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [name]);
  return rows.length > 0;
}

/** Fills (once) and adopts (once) a scale database; returns its anchor time and the adoption time. */
async function prepare(server: MariaDb, database: string, invoices: number): Promise<{ db: Pool; now: Date; fill?: number; adoptSeconds?: number }> {
  await ensureDatabase(server, database);
  const url = urlFor(server, database);
  const db = createPool(url, { connectionLimit: 4 });
  let fill: number | undefined;
  if (!(await tableExists(db, 'bench_meta'))) {
    log(`${database}: filling ${invoices.toLocaleString('en')} invoices…`);
    const t0 = Date.now();
    await fillBusinessTables(db, invoices, new Date(), log);
    fill = (Date.now() - t0) / 1000;
  }
  const [[meta]] = await db.query<RowDataPacket[]>('SELECT filled_at FROM bench_meta');
  const now = meta.filled_at as Date;
  let adoptSeconds: number | undefined;
  if (!(await tableExists(db, 'payment_attempt'))) {
    log(`${database}: adopting with migrate…`);
    const t0 = Date.now();
    await migrate(url, { log: (m) => log(`  ${m}`) });
    adoptSeconds = (Date.now() - t0) / 1000;
    await fillDunningState(db, invoices, now);
    log(`${database}: adopted in ${adoptSeconds} s`);
  }
  // Migrations added after the data was adopted (kept datadir): applied and timed here.
  const t1 = Date.now();
  const later = await migrate(url, { log: (m) => log(`  ${m}`) });
  if (later.length > 0) log(`${database}: ${later.join(', ')} in ${(Date.now() - t1) / 1000} s`);
  await db.query('ANALYZE TABLE invoice, customer, payment_attempt');
  return { db, now, fill, adoptSeconds };
}

/** The queries before this change (git history: src/db/invoices.ts, src/db/dunning.ts), for the before/after column. */
const OLD_DUE = `SELECT id, amount_cents, currency FROM invoice
  WHERE status = 'pending' AND (due_date <= ? OR due_date IS NULL) AND id > ? ORDER BY id LIMIT ?`;
const OLD_RETRY = `SELECT i.id, i.amount_cents, i.currency FROM invoice i LEFT JOIN customer c ON c.id = i.customer_id
  WHERE i.status = 'failed' AND i.id > ?
    AND (i.next_attempt_at <= ? OR (i.failed_payment_method_id IS NOT NULL AND c.stripe_payment_method_id IS NOT NULL
         AND c.stripe_payment_method_id <> i.failed_payment_method_id))
  ORDER BY i.id LIMIT ?`;
const NEW_DUE_FIRST = `SELECT id, amount_cents, currency FROM invoice
  WHERE status = 'pending' AND CAST(status AS BINARY) = 'pending' AND due_date <= ? ORDER BY due_date, id LIMIT ?`;
const NEW_DUE_NEXT = `SELECT id, amount_cents, currency FROM invoice
  WHERE status = 'pending' AND CAST(status AS BINARY) = 'pending' AND due_date <= ?
    AND (due_date > ? OR (due_date = ? AND id > ?)) ORDER BY due_date, id LIMIT ?`;
const NEW_DUE_UNDATED = `SELECT id, amount_cents, currency FROM invoice
  WHERE status = 'pending' AND CAST(status AS BINARY) = 'pending' AND due_date IS NULL AND id > ? ORDER BY id LIMIT ?`;
const NEW_RETRY = `SELECT id, amount_cents, currency FROM (
  (SELECT i.id, i.amount_cents, i.currency FROM invoice i
    WHERE i.status = 'failed' AND CAST(i.status AS BINARY) = 'failed' AND i.next_attempt_at <= ? AND i.id > ? ORDER BY i.id LIMIT ?)
  UNION ALL
  (SELECT i.id, i.amount_cents, i.currency FROM invoice i
    JOIN (SELECT f.id FROM invoice f JOIN customer c ON c.id = f.customer_id
           WHERE f.status = 'failed' AND CAST(f.status AS BINARY) = 'failed' AND f.id > ?
             AND (f.next_attempt_at IS NULL OR f.next_attempt_at > ?) AND f.failed_payment_method_id IS NOT NULL
             AND c.stripe_payment_method_id IS NOT NULL AND c.stripe_payment_method_id <> f.failed_payment_method_id
           ORDER BY f.id LIMIT ?) changed ON changed.id = i.id)) due ORDER BY id LIMIT ?`;
const RECOVERY = `SELECT id, amount_cents, currency, claim_run_id, claimed_at, lease_expires_at FROM invoice
  WHERE status = 'processing' AND id > ? ORDER BY id LIMIT ?`;

/** Claim: begin-attempt's statements for a due invoice (src/activities/begin-attempt.ts), rolled back. */
async function claimStatements(tx: Tx, invoiceId: number, now: Date): Promise<void> {
  const invoice = await loadInvoice(tx, invoiceId, true);
  if (!invoice || invoice.status !== 'pending') throw new Error(`invoice ${invoiceId} is not pending`);
  await loadLatestAttempt(tx, invoiceId);
  await countChargeAttempts(tx, invoiceId);
  await knownCard(tx, invoice.customer?.stripePaymentMethodId ?? 'pm_none');
  await insertAttempt(tx, {
    invoiceId, attemptNumber: invoice.attemptCount + 1, isRetry: false, idempotencyKey: `bench-${invoiceId}-${process.hrtime.bigint()}`,
    stripeCustomerId: invoice.customer?.stripeCustomerId ?? null, stripePaymentMethodId: invoice.customer?.stripePaymentMethodId ?? null,
    stripePaymentIntentId: null, amountCents: 1000, currency: 'usd', outcome: 'in_flight', claimRunId: 'bench', startedAt: now,
  });
  const ok = await startAttemptOnInvoice(tx, {
    invoiceId, attemptNumber: invoice.attemptCount + 1, from: 'pending', to: 'processing', claimRunId: 'bench', now,
    leaseExpiresAt: new Date(now.getTime() + 600_000),
  });
  if (!ok) throw new Error(`claim of ${invoiceId} did not apply`);
}

async function inRolledBackTx(db: Pool, work: (tx: Tx) => Promise<void>): Promise<void> {
  const tx = await db.getConnection();
  try {
    await tx.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await tx.beginTransaction();
    await work(tx);
  } finally {
    await tx.rollback();
    tx.release();
  }
}

interface BenchQuery {
  name: string;
  /** Returns the rows it got, and its own duration when only part of it is the measured work. */
  run: () => Promise<{ rows: number; ms?: number }>;
  explainSql?: string;
  explainParams: unknown[];
  repeat?: number;
}

/** The measured queries on one scale, with their inputs prepared (cursors, due invoice ids). */
async function buildQueries(db: Pool, invoices: number, now: Date): Promise<{ queries: BenchQuery[]; walk: { rows: number; pages: number; ms: number } }> {
  const asOf = now;
  // Walk every due page once (the run's listing), then time the first and a middle page.
  const cursors: number[] = [0];
  let walked = 0;
  const walkStart = Date.now();
  for (;;) {
    const page = await listDueInvoices(db, { asOf, afterId: cursors[cursors.length - 1], limit: PAGE });
    walked += page.length;
    if (page.length < PAGE) break;
    cursors.push(page[page.length - 1].id);
  }
  const walk = { rows: walked, pages: cursors.length, ms: Date.now() - walkStart };
  log(`  ${invoices}: listed ${walked} due invoices in ${walk.pages} pages, ${walk.ms} ms`);
  const middle = cursors[Math.floor(cursors.length / 2)];
  const [[mid]] = await db.query<RowDataPacket[]>('SELECT due_date FROM invoice WHERE id = ?', [middle]);
  const [dueRows] = await db.query<RowDataPacket[]>(NEW_DUE_FIRST, [asOf, REPEAT + 10]);
  const dueIds = dueRows.map((r) => Number(r.id));
  let claimK = 0;
  let recordK = 0;
  const rowsOf = async (sql: string, params: unknown[]) => ({ rows: (await db.query<RowDataPacket[]>(sql, params))[0].length });
  const queries: BenchQuery[] = [
    { name: 'due page: first', run: async () => ({ rows: (await listDueInvoices(db, { asOf, afterId: 0, limit: PAGE })).length }),
      explainSql: NEW_DUE_FIRST, explainParams: [asOf, PAGE] },
    { name: 'due page: undated part', run: () => rowsOf(NEW_DUE_UNDATED, [0, PAGE]), explainSql: NEW_DUE_UNDATED, explainParams: [0, PAGE] },
    { name: 'due page: middle', run: async () => ({ rows: (await listDueInvoices(db, { asOf, afterId: middle, limit: PAGE })).length }),
      explainSql: NEW_DUE_NEXT, explainParams: [asOf, mid?.due_date ?? asOf, mid?.due_date ?? asOf, middle, PAGE] },
    { name: 'OLD due page: first (before this change)', run: () => rowsOf(OLD_DUE, [asOf, 0, PAGE]), explainSql: OLD_DUE, explainParams: [asOf, 0, PAGE], repeat: 3 },
    // Claim and record: a different due invoice each time, rolled back (the data stays as filled).
    { name: 'claim transaction (begin-attempt statements)', run: async () => {
      const id = dueIds[claimK++ % dueIds.length];
      await inRolledBackTx(db, (tx) => claimStatements(tx, id, now));
      return { rows: 1 };
    }, explainSql: 'SELECT id FROM invoice WHERE id = ? FOR UPDATE', explainParams: [dueIds[0]] },
    { name: 'record transaction (resolveAttempt)', run: async () => {
      const id = dueIds[recordK++ % dueIds.length];
      let ms = 0;
      await inRolledBackTx(db, async (tx) => {
        await claimStatements(tx, id, now);
        const t0 = process.hrtime.bigint();
        const ok = await resolveAttempt(tx, { invoiceId: id, attemptNumber: 1, outcome: 'paid', invoiceStatus: 'paid', paymentIntentId: `pi_bench_${id}`, now });
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (!ok) throw new Error(`record of ${id} did not apply`);
      });
      return { rows: 1, ms };
    }, explainSql: "UPDATE invoice SET status = 'paid' WHERE id = ? AND status = 'processing' AND attempt_count = ?", explainParams: [dueIds[0], 1] },
    { name: 'dunning list: first page', run: async () => ({ rows: (await listRetryDueInvoices(db, { asOf, afterId: 0, limit: PAGE })).length }),
      explainSql: NEW_RETRY, explainParams: [asOf, 0, PAGE, 0, asOf, PAGE, PAGE] },
    { name: 'OLD dunning list: first page (before this change)', run: () => rowsOf(OLD_RETRY, [0, asOf, PAGE]), explainSql: OLD_RETRY, explainParams: [0, asOf, PAGE], repeat: 3 },
    { name: 'recovery list: first page', run: async () => ({ rows: (await listProcessingClaims(db, { afterId: 0, limit: PAGE })).length }),
      explainSql: RECOVERY, explainParams: [0, PAGE] },
  ];
  const [[counts]] = await db.query<RowDataPacket[]>(
    "SELECT COUNT(*) AS total, SUM(status = 'pending') AS pending, SUM(status = 'failed') AS failed FROM invoice",
  );
  log(`  data: ${counts.total} invoices, ${counts.pending} pending, ${counts.failed} failed; ${walked} due (shape ${JSON.stringify(fillShape(invoices))})`);
  return { queries, walk };
}

/**
 * Times each query on both scales in alternation (small, big, small, big, …), so that the load of a
 * shared machine falls on both sides of each ratio alike; three warm-up calls each first.
 */
async function measureInterleaved(
  scales: Array<{ name: string; db: Pool; queries: BenchQuery[] }>,
): Promise<Map<string, QueryResult[]>> {
  const out = new Map<string, QueryResult[]>(scales.map((s) => [s.name, []]));
  const names = scales[0].queries.map((q) => q.name);
  for (const name of names) {
    const perScale = scales.map((s) => ({ scale: s, q: s.queries.find((x) => x.name === name) as BenchQuery, samples: [] as number[], rows: 0 }));
    const repeat = perScale[0].q.repeat ?? REPEAT;
    for (let i = 0; i < repeat + 3; i += 1) {
      for (const p of perScale) {
        const t0 = process.hrtime.bigint();
        const r = await p.q.run();
        const ms = r.ms ?? Number(process.hrtime.bigint() - t0) / 1e6;
        p.rows = r.rows;
        if (i >= 3 || repeat < 5) p.samples.push(ms);
      }
    }
    for (const p of perScale) {
      const timing = stats(p.samples);
      const plan = p.q.explainSql ? await explain(p.scale.db, p.q.explainSql, p.q.explainParams) : [];
      out.get(p.scale.name)?.push({ name, timing, rows: p.rows, explain: plan });
      log(`  ${p.scale.name} ${name}: median ${timing.medianMs} ms, p95 ${timing.p95Ms} ms (${p.rows} rows)`);
    }
  }
  return out;
}

/** Adoption of a 1 M-row business table while a client inserts rows with the original columns. */
async function adoptUnderLoad(server: MariaDb): Promise<Record<string, unknown>> {
  const database = 'scale_1m_adopt';
  const c = await mysql.createConnection({ uri: server.url });
  await c.query(`DROP DATABASE IF EXISTS ${database}`);
  await c.end();
  await ensureDatabase(server, database);
  const url = urlFor(server, database);
  const db = createPool(url, { connectionLimit: 4 });
  try {
    log(`${database}: filling 1,000,000 invoices…`);
    await fillBusinessTables(db, 1_000_000, new Date(), () => undefined);
    const latencies: Array<{ at: number; ms: number }> = [];
    let stop = false;
    const inserter = (async () => {
      const conn = await mysql.createConnection({ uri: url });
      try {
        while (!stop) {
          const t0 = process.hrtime.bigint();
          await conn.query(
            "INSERT INTO invoice (customer_id, status, due_date, amount_cents) VALUES (1, 'pending', UTC_TIMESTAMP() + INTERVAL 7 DAY, 1500)",
          );
          latencies.push({ at: Date.now(), ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        }
      } finally {
        await conn.end();
      }
    })();
    await new Promise((r) => setTimeout(r, 2000));
    const statementTimes: Array<{ statement: string; seconds: number }> = [];
    let last = Date.now();
    const t0 = Date.now();
    await migrate(url, {
      log: (m) => {
        const now = Date.now();
        statementTimes.push({ statement: m, seconds: (now - last) / 1000 });
        last = now;
      },
    });
    const adoptSeconds = (Date.now() - t0) / 1000;
    const adoptEnd = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    stop = true;
    await inserter;
    const during = latencies.filter((l) => l.at >= t0 && l.at <= adoptEnd).map((l) => l.ms);
    const outside = latencies.filter((l) => l.at < t0 || l.at > adoptEnd).map((l) => l.ms);
    const result = {
      rows: 1_000_000,
      adoptSeconds,
      // The log line of each statement is printed when it starts: its duration is the next gap.
      statementLog: statementTimes,
      insertsDuringAdoption: during.length,
      insertLatencyDuringAdoption: during.length ? { ...stats(during), maxMs: Math.max(...during) } : null,
      insertLatencyOutside: outside.length ? { ...stats(outside), maxMs: Math.max(...outside) } : null,
    };
    log(`  adopted 1 M rows in ${adoptSeconds} s; ${during.length} inserts meanwhile, max ${result.insertLatencyDuringAdoption?.maxMs.toFixed(1)} ms`);
    return result;
  } finally {
    await db.end();
  }
}

export async function runDbScale(options: { keepData: boolean }): Promise<void> {
  const root = path.join(__dirname, '..', '.data', 'bench-db-scale');
  mkdirSync(root, { recursive: true });
  const server = await startMariaDb({ dataDir: path.join(root, 'mysql'), database: 'scale_100k', startTimeoutMs: 300_000 });
  const report: Record<string, unknown> = { startedAt: new Date().toISOString(), server: '', repeat: REPEAT, pageSize: PAGE, loadAverageAtStart: os.loadavg().map((l) => l.toFixed(2)).join(' '), scales: {} };
  try {
    const c = await mysql.createConnection({ uri: server.url });
    const [[v]] = await c.query<RowDataPacket[]>('SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp');
    report.server = `${String(v.v)}, innodb_buffer_pool_size ${Number(v.bp) / 2 ** 20} MB`;
    await c.end();
    const scales: Record<string, unknown> = {};
    const prepared: Array<{ name: string; db: Pool; queries: BenchQuery[]; info: Record<string, unknown> }> = [];
    for (const [name, invoices] of [['100k', 100_000], ['10m', 10_000_000]] as const) {
      const p = await prepare(server, `scale_${name}`, invoices);
      const { queries, walk } = await buildQueries(p.db, invoices, p.now);
      prepared.push({ name, db: p.db, queries, info: { invoices, fillSeconds: p.fill, adoptSeconds: p.adoptSeconds, dueWalk: walk } });
    }
    const measured = await measureInterleaved(prepared);
    for (const p of prepared) {
      scales[p.name] = { ...p.info, results: measured.get(p.name) };
      await p.db.end();
    }
    report.scales = scales;
    const small = (scales['100k'] as { results: QueryResult[] }).results;
    const big = (scales['10m'] as { results: QueryResult[] }).results;
    log('');
    log('| query | 100k median ms | 10M median ms | ratio | 10M p95 ms | index (10M EXPLAIN) |');
    log('|---|---:|---:|---:|---:|---|');
    for (const b of big) {
      const s = small.find((x) => x.name === b.name);
      const ratio = s && s.timing.medianMs > 0 ? (b.timing.medianMs / s.timing.medianMs).toFixed(2) : '?';
      const keys = b.explain.map((e) => `${String(e.table)}:${String(e.key)}/${String(e.type)}`).join(', ');
      log(`| ${b.name} | ${s?.timing.medianMs ?? '?'} | ${b.timing.medianMs} | ${ratio} | ${b.timing.p95Ms} | ${keys} |`);
    }
    if (!process.env.DB_SCALE_SKIP_ADOPT_UNDER_LOAD) report.adoptionUnderLoad = await adoptUnderLoad(server);
    if (!options.keepData) {
      const c2 = await mysql.createConnection({ uri: server.url });
      await c2.query('DROP DATABASE IF EXISTS scale_1m_adopt');
      await c2.end();
    }
  } finally {
    await server.stop();
  }
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${String(report.startedAt).replace(/[:.]/g, '-')}-db-scale.json`);
  report.loadAverageAtEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`results: ${path.relative(process.cwd(), file)}`);
  log(`data kept in ${root} (delete it to refill: rm -rf .data/bench-db-scale)`);
}
