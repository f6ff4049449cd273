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
    // The run page's summary: what kind of run, as of when.
    staticSummary: `${runKind(options.input)}, as of ${options.input.asOf ?? 'its start'}`,
  });
  console.log(`started ${workflowId}\n  ${runUrl(config, workflowId)}`);
  if (!options.wait) return undefined;

  const stopProgress = showProgress(() => handle.query(progressQuery), config.taskQueue);
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

function runKind(input: ChargeRunInput): string {
  if (input.dryRun) return 'Ad-hoc dry run: what would be charged';
  return input.recoverOnly ? 'Ad-hoc recovery sweep: claims of closed runs' : 'Ad-hoc invoice charging run';
}

const PHASE_WORDS: Record<ChargeRunProgress['phase'], string> = {
  recover: 'resolving claims of closed runs',
  due: 'charging due invoices',
  retry: 'charging due dunning retries',
};

/** One line of progress, or what the run is waiting for; exported for tests. */
export function progressLine(p: ChargeRunProgress | undefined, taskQueue: string): string {
  if (!p) return `waiting for a worker on task queue "${taskQueue}" to pick up the run`;
  const phase = p.dryRun ? 'listing what would be charged' : PHASE_WORDS[p.phase];
  if (p.found === 0) return `${phase} · no invoices found yet`;
  const t = p.totals;
  const counts = p.dryRun
    ? `would charge ${t.would_charge} · skipped ${t.skipped}`
    : `paid ${t.paid} · failed ${t.failed} · requires_auth ${t.requires_auth} · skipped ${t.skipped}${p.inFlight > 0 ? ` · ${p.inFlight} in flight` : ''}`;
  return `${phase} · ${counts}`;
}

/**
 * A live bar on a terminal, a line every few seconds elsewhere; returns a stop function. The bar
 * is drawn only once the run has found invoices: a run that finishes before that (or before a
 * worker answers) draws nothing, instead of a misleading "0/0" at 100 %. Until then a terminal
 * sees one line saying what the run waits for.
 */
function showProgress(poll: () => Promise<ChargeRunProgress>, taskQueue: string): () => void {
  const tty = process.stdout.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  let answered = false;
  let lastLine = '';
  const startedAt = Date.now();
  const say = (line: string) => {
    if (line === lastLine) return;
    lastLine = line;
    console.log(line);
  };
  const tick = async () => {
    let p: ChargeRunProgress | undefined;
    try {
      p = await poll();
      answered = true;
    } catch {
      // Not queryable yet (no worker has picked the run up) or already closed.
      if (answered || Date.now() - startedAt < 2_000) return;
    }
    if (stopped) return;
    const detail = progressLine(p, taskQueue);
    if (tty && p && p.found > 0) {
      if (!bar) {
        bar = new cliProgress.SingleBar({ format: '{bar} {value}/{total} invoices · {detail}' }, cliProgress.Presets.shades_classic);
        bar.start(p.found, p.processed, { detail });
      }
      bar.setTotal(p.found);
      bar.update(p.processed, { detail });
    } else if (tty) {
      say(detail);
    } else {
      say(p && p.found > 0 ? `progress: ${p.processed}/${p.found} invoices · ${detail}` : detail);
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
