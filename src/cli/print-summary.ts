import { formatMoney } from '../billing/money';
import { RUN_OUTCOME_STATUSES } from '../billing/run-outcome';
import type { ChargeRunSummary } from '../workflows/charge-pending-invoices';
import { table } from './table';

/** "1 first attempt", "2 retries". */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The summary as a person reads it: totals, money charged, the per-invoice table. */
export function formatSummary(summary: ChargeRunSummary, maxRows = 50): string {
  const lines: string[] = [];
  lines.push(`${summary.dryRun ? 'Dry run' : 'Run'} as of ${summary.asOf}: ${summary.processed} of ${plural(summary.found, 'invoice', 'invoices')} processed`);
  lines.push(
    RUN_OUTCOME_STATUSES.filter((s) => summary.totals[s] > 0 || s !== 'would_charge')
      .map((s) => `${s} ${summary.totals[s]}`)
      .join(' · '),
  );
  const charged = Object.entries(summary.amounts).map(([currency, amount]) => formatMoney(amount, currency));
  lines.push(`charged: ${charged.length > 0 ? charged.join(', ') : 'nothing'} · charges sent: ${plural(summary.attempts.first, 'first attempt', 'first attempts')}, ${plural(summary.attempts.retries, 'retry', 'retries')}`);
  const rows = summary.results.slice(0, maxRows).map((r) => [
    String(r.invoice_id),
    r.status,
    r.payment_intent_id ?? '',
    r.error ?? '',
  ]);
  if (rows.length > 0) {
    lines.push('', table(['invoice', 'status', 'payment_intent', 'detail'], rows));
  }
  const hidden = summary.results.length - rows.length;
  if (hidden > 0 || summary.resultsTruncated) {
    lines.push(`… more results not shown${summary.resultsTruncated ? ' (summary capped; every attempt is in payment_attempt)' : ''}`);
  }
  return lines.join('\n');
}

