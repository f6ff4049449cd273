/** The chaos suite's closing table: one row per scenario. */
import type { ScenarioReport } from './harness';

const HEADERS = ['scenario', 'invoices', 'faults injected', 'double charges', 'lost outcomes', 'stuck invoices', 'time'];

export function formatTable(reports: ScenarioReport[]): string {
  const rows = reports.map((r) => [
    r.scenario,
    String(r.invoices),
    Object.entries(r.faults).map(([k, n]) => `${k}×${n}`).join(', ') || 'none',
    String(r.invariants.doubleCharges),
    String(r.invariants.lostOutcomes),
    String(r.invariants.stuckInvoices),
    `${Math.round(r.durationMs / 1000)} s`,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(HEADERS), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Under the table: when the process faults hit, and what recovery had to do. */
export function formatDetails(reports: ScenarioReport[]): string {
  return reports.map((r) => {
    const { runs, abandonedClaims, settled } = r.recovery;
    const when = r.timeline.length > 0 ? `${r.timeline.join(', ')}; ` : '';
    return `- ${r.scenario}: ${when}recovery: ${runs} run(s); ${abandonedClaims} claim(s) with an unknown outcome resumed after their lease; ${settled} bank debit(s) settled`;
  }).join('\n');
}
