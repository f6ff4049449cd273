/**
 * What the Web UI shows of a charging run while it runs and after: search attributes (outcome
 * counts, phase, dry run) upserted as it progresses, and the current details, which say
 * "finished" with the totals at the end. No I/O here.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { HeldClaims } from '../activities/held-claims';
import { RUN_OUTCOME_STATUSES } from '../billing/run-outcome';
import type { ChargeRun } from './charge-run';
import {
  CHARGE_RUN_DRY_RUN, CHARGE_RUN_FAILED, CHARGE_RUN_OUTCOMES, CHARGE_RUN_PAID, CHARGE_RUN_PHASE, CHARGE_RUN_REQUIRES_AUTH,
} from './search-attributes';

export type RunStage = ChargeRun['phase'] | 'finished' | 'stopped';

/** Upserts the run's search attributes, only when they changed (each upsert is a history event). */
export function reportSearchAttributes(run: ChargeRun, stage: RunStage = run.phase): void {
  const t = run.tally.totals;
  const outcomes = RUN_OUTCOME_STATUSES.filter((s) => t[s] > 0);
  const key = JSON.stringify([stage, t.paid, t.failed, t.requires_auth, outcomes, run.dryRun]);
  if (key === run.reported) return;
  run.reported = key;
  const pairs: SearchAttributeUpdatePair[] = [
    { key: CHARGE_RUN_PHASE, value: stage },
    { key: CHARGE_RUN_PAID, value: t.paid },
    { key: CHARGE_RUN_FAILED, value: t.failed },
    { key: CHARGE_RUN_REQUIRES_AUTH, value: t.requires_auth },
    { key: CHARGE_RUN_OUTCOMES, value: outcomes },
    { key: CHARGE_RUN_DRY_RUN, value: run.dryRun },
  ];
  upsertSearchAttributes(pairs);
}

const DOING: Record<ChargeRun['phase'], string> = {
  recover: 'resolving claims of closed runs and expired leases',
  due: 'charging due invoices',
  retry: 'retrying failed invoices (dunning)',
};

function totalsLine(run: ChargeRun): string {
  const t = run.tally.totals;
  const counts = run.dryRun
    ? `would charge ${t.would_charge} · skipped ${t.skipped} · failed ${t.failed}`
    : `paid ${t.paid} · requires_auth ${t.requires_auth} · failed ${t.failed} · skipped ${t.skipped} · processing ${t.processing}`;
  return counts;
}

/** While it runs: the phase and counts so far. */
export function progressDetails(run: ChargeRun): string {
  const doing = run.dryRun ? `dry run, ${DOING[run.phase]}` : DOING[run.phase];
  return `**${doing}**: ${run.tally.processed}/${run.tally.found} processed · ${totalsLine(run)}`;
}

/** At the end: finished (or stopped) with the totals per phase, money and claims held by others. */
export function finishedDetails(run: ChargeRun, held: HeldClaims | undefined): string {
  const { tally } = run;
  const lines = [
    `**${run.systemicStop !== undefined ? 'stopped' : 'finished'}${run.dryRun ? ' (dry run, nothing charged)' : ''}**: `
      + `${tally.processed} of ${tally.found} invoices as of ${run.asOf} · ${totalsLine(run)}`,
  ];
  if (tally.phases) {
    const p = tally.phases;
    lines.push(`per phase: recover ${p.recover.found} · due ${p.due.found} · retry ${p.retry.found}`);
  }
  const charged = Object.entries(tally.amounts).map(([currency, minor]) => `${minor} ${currency}`);
  if (!run.dryRun) lines.push(`charged (minor units): ${charged.length > 0 ? charged.join(', ') : 'nothing'}`);
  if (run.systemicStop !== undefined) lines.push(`stopped: ${run.systemicStop}`);
  if (held && held.count > 0) {
    const first = held.holders[0];
    lines.push(`claims held by other runs: ${held.count}, oldest ${held.oldestAgeSeconds ?? 0} s, e.g. ${first?.claimRunId ?? 'none'} (${first?.owner ?? 'unknown'})`);
  }
  return lines.join('\n\n');
}

export function showProgress(run: ChargeRun): void {
  setCurrentDetails(progressDetails(run));
  reportSearchAttributes(run);
}
