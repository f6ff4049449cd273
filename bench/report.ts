/** The results table, and the method it was measured with. */
import type { ScenarioResult } from './scenarios';

const METHOD = [
  'Method: each scenario seeds its own invoices (1 customer in 20 has a declining card), resets the simulator,',
  'starts its worker process(es) (src/worker.ts or the no-op bench worker, compiled by tsc, run by node with the V8',
  'flags of `npm run worker`) and measures from workflow',
  'start to result. bound = min(rate limit, concurrency / latency); conc (rate) = derived by the run from the worker\'s rate.',
  'CPU = utime+stime of the worker process(es)',
  'during the run (/proc/PID/stat); RSS = VmHWM during the run (reset at start; start-up peak in the JSON).',
  'srv = the Temporal dev server process. Sequential rows: a sample of the original one-at-a-time loop.',
  'parts = task-queue partitions on the server (4* = the server default; the rate limit is split over them).',
  'Every row is verified: DB states, one attempt per invoice, ledger = one charge per paid invoice, summary.',
  'other load = cores kept busy by other processes on this shared machine during the row (/proc/stat minus ours).',
];

const COLUMNS: Array<[string, (r: ScenarioResult) => string]> = [
  ['scenario', (r) => r.name],
  ['N', (r) => String(r.processed)],
  ['lat ms', (r) => String(r.latencyMs)],
  ['limit/s', (r) => String(r.rateLimit)],
  ['conc', (r) => (r.kind === 'sequential' ? '1' : `${r.tuning.concurrency}${r.tuning.concurrencyDerived ? ' (rate)' : ''}`)],
  ['wkrs', (r) => String(r.workers || '-')],
  ['parts', (r) => (r.kind === 'sequential' ? '' : r.partitions === 'default' ? '4*' : String(r.partitions ?? ''))],
  ['wall s', (r) => r.wallSeconds.toFixed(1)],
  ['inv/s', (r) => r.invoicesPerSecond.toFixed(1)],
  ['bound/s', (r) => r.rateLimitBound.toFixed(1)],
  ['% bound', (r) => `${(r.ratioToBound * 100).toFixed(1)}`],
  ['× seq', (r) => (r.ratioToSequential !== undefined ? r.ratioToSequential.toFixed(1) : '')],
  ['% noop', (r) => (r.ratioToNoop !== undefined ? (r.ratioToNoop * 100).toFixed(1) : '')],
  ['wkr CPU ms/inv', (r) => (r.worker && r.kind !== 'sequential' ? r.worker.cpuMsPerInvoice.toFixed(2) : '')],
  ['wkr RSS MB', (r) => (r.worker && r.kind !== 'sequential' ? String(r.worker.peakRssRunMb) : '')],
  ['srv CPU s', (r) => (r.server ? r.server.cpuSeconds.toFixed(1) : '')],
  ['srv RSS MB', (r) => (r.server ? String(r.server.peakRssMb) : '')],
  ['runs', (r) => (r.history ? String(r.history.runs) : '')],
  ['events/run max', (r) => (r.history ? String(r.history.maxEvents) : '')],
  ['429s', (r) => String(r.stripe.rateLimited429)],
  ['lock t/o', (r) => (r.stripe.lockTimeouts === undefined ? '' : String(r.stripe.lockTimeouts))],
  ['% 429', (r) => (r.stripe.percent429 === undefined ? '' : r.stripe.percent429.toFixed(2))],
  ['other load', (r) => (r.otherLoadCores !== undefined ? r.otherLoadCores.toFixed(2) : '')],
  ['ok', (r) => (r.problems.length === 0 ? 'yes' : 'NO')],
];

export function formatTable(results: ScenarioResult[]): string {
  const rows = [COLUMNS.map(([h]) => h), ...results.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [...METHOD, '', line(rows[0] ?? []), sep, ...rows.slice(1).map(line)].join('\n');
}
