import { formatMoney } from '../billing/money';
import { RUN_OUTCOME_STATUSES } from '../billing/run-outcome';
import type { ChargeRunSummary } from '../workflows/charge-pending-invoices';
import type { HeldClaims } from '../activities/held-claims';
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
  if (summary.phases) lines.push(phaseLine(summary.phases));
  const charged = Object.entries(summary.amounts).map(([currency, amount]) => formatMoney(amount, currency));
  lines.push(`charged: ${charged.length > 0 ? charged.join(', ') : 'nothing'} · charges sent: ${plural(summary.attempts.first, 'first attempt', 'first attempts')}, ${plural(summary.attempts.retries, 'retry', 'retries')}`);
  if (summary.heldByOtherRuns) lines.push(heldClaimsLine(summary.heldByOtherRuns));
  const rows = summary.results.slice(0, maxRows).map((r) => [
    String(r.invoice_id),
    r.phase ?? '',
    r.status,
    r.payment_intent_id ?? '',
    r.error ?? '',
  ]);
  if (rows.length > 0) {
    lines.push('', table(['invoice', 'phase', 'status', 'payment_intent', 'detail'], rows));
  }
  const hidden = summary.results.length - rows.length;
  if (hidden > 0 || summary.resultsTruncated) {
    lines.push(`… more results not shown${summary.resultsTruncated ? ' (summary capped; every attempt is in payment_attempt)' : ''}`);
  }
  return lines.join('\n');
}


const PHASE_NAMES: Record<keyof NonNullable<ChargeRunSummary['phases']>, string> = {
  recover: 'claims to resolve', due: 'due invoices', retry: 'dunning retries',
};

/** "per phase: claims to resolve 1 (would_charge 1) · due invoices 2 (paid 2) · dunning retries 0". */
export function phaseLine(phases: NonNullable<ChargeRunSummary['phases']>): string {
  const parts = (Object.keys(PHASE_NAMES) as Array<keyof typeof PHASE_NAMES>).map((phase) => {
    const p = phases[phase];
    const outcomes = RUN_OUTCOME_STATUSES.filter((st) => p[st] > 0).map((st) => `${st} ${p[st]}`);
    return `${PHASE_NAMES[phase]} ${p.found}${outcomes.length > 0 ? ` (${outcomes.join(', ')})` : ''}`;
  });
  return `per phase: ${parts.join(' · ')}`;
}

/** Claims other runs hold: count, oldest age, owners and what Temporal says of them. */
export function heldClaimsLine(held: HeldClaims): string {
  if (held.count === 0) return 'claims held by other runs: none';
  const owners = held.holders.slice(0, 3).map((h) => `${h.claimRunId ?? '(no owner)'} ${h.count} (${h.ownerStatus?.toLowerCase() ?? h.owner})`);
  const more = held.holders.length > 3 ? `, … ${held.holders.length - 3} more` : '';
  return `claims held by other runs: ${held.count}, oldest ${formatAge(held.oldestAgeSeconds ?? 0)} · ${owners.join(', ')}${more}`;
}

export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}
