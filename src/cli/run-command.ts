import { WorkflowFailedError, type Client } from '@temporalio/client';
import cliProgress from 'cli-progress';
import type { TemporalConfig } from '../config';
import { CHARGE_WORKFLOW_TYPE } from '../shared';
import { progressQuery, type ChargeRunInput, type ChargeRunProgress, type ChargeRunSummary } from '../workflows/charge-pending-invoices';
import { runUrl } from './connect';
import { formatSummary } from './print-summary';

export interface RunOptions {
  input: ChargeRunInput;
  wait: boolean;
  workflowId?: string;
  json: boolean;
}

export async function startRun(client: Client, config: TemporalConfig, options: RunOptions): Promise<ChargeRunSummary | undefined> {
  const workflowId = options.workflowId ?? `charge-run-adhoc-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const handle = await client.workflow.start<(input: ChargeRunInput) => Promise<ChargeRunSummary>>(CHARGE_WORKFLOW_TYPE, {
    taskQueue: config.taskQueue,
    workflowId,
    args: [options.input],
    staticSummary: options.input.dryRun ? 'Ad-hoc dry run: what would be charged' : 'Ad-hoc invoice charging run',
  });
  console.log(`started ${workflowId}\n  ${runUrl(config, workflowId)}`);
  if (!options.wait) return undefined;

  const stopProgress = showProgress(() => handle.query(progressQuery));
  let summary: ChargeRunSummary;
  try {
    summary = await handle.result();
  } catch (err) {
    stopProgress();
    if (err instanceof WorkflowFailedError) {
      throw new Error(`run ${workflowId} failed: ${err.cause?.message ?? err.message}`, { cause: err });
    }
    throw err;
  }
  stopProgress();
  console.log(formatSummary(summary));
  if (options.json) console.log(JSON.stringify(summary, null, 2));
  console.log(`\nWeb UI: ${runUrl(config, workflowId)}`);
  return summary;
}

/** A live bar on a terminal, a line every few seconds elsewhere; returns a stop function. */
function showProgress(poll: () => Promise<ChargeRunProgress>): () => void {
  const tty = process.stdout.isTTY === true;
  const bar = tty ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} invoices · {detail}' }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(0, 0, { detail: 'waiting for the worker' });
  let stopped = false;
  const tick = async () => {
    try {
      const p = await poll();
      const detail = `paid ${p.totals.paid} · failed ${p.totals.failed} · requires_auth ${p.totals.requires_auth} · skipped ${p.totals.skipped}`;
      if (bar) {
        bar.setTotal(Math.max(p.found, 1));
        bar.update(p.processed, { detail });
      } else {
        console.log(`progress: ${p.processed}/${p.found} · ${detail}`);
      }
    } catch {
      // Not queryable yet (no worker has picked the run up) or already closed.
    }
  };
  const timer = setInterval(() => void tick(), tty ? 500 : 3000);
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    bar?.stop();
  };
}
