/**
 * Charging runs as the chaos suite starts and watches them: ad hoc, from a schedule, or for
 * recovery; results are awaited across Temporal server restarts (the client reconnects).
 */
import { ScheduleOverlapPolicy, WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { scheduleOptions } from '../../src/cli/schedule-commands';
import { CHARGE_WORKFLOW_TYPE } from '../../src/shared';
import type { ChargeRunInput, ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';

export type RunKind = 'ad-hoc' | 'scheduled' | 'recovery';

export interface RunRecord {
  kind: RunKind;
  workflowId: string;
  handle: WorkflowHandle;
  summary?: ChargeRunSummary;
  /** Set when the run ended without a summary (terminated, failed). */
  error?: string;
  terminated: boolean;
}

export interface RunStarter {
  client: Client;
  taskQueue: string;
  namespace: string;
  input: ChargeRunInput;
}

export async function startRun(s: RunStarter, kind: RunKind, workflowId: string): Promise<RunRecord> {
  const handle = await s.client.workflow.start(CHARGE_WORKFLOW_TYPE, { taskQueue: s.taskQueue, workflowId, args: [s.input] });
  return { kind, workflowId, handle, terminated: false };
}

/**
 * Triggers a (paused) schedule now and returns the run it started. The schedule is the
 * product's own (src/cli/schedule-commands.ts), with its overlap policy SKIP.
 */
export async function triggerScheduledRun(s: RunStarter, scheduleId: string): Promise<RunRecord> {
  const config = { address: '', namespace: s.namespace, taskQueue: s.taskQueue, uiUrl: '', codec: { mode: 'off' as const } };
  const schedule = await s.client.schedule.create(scheduleOptions(config, scheduleId, {
    cron: '0 6 1 1 *', overlap: 'SKIP', catchupWindow: '1m', paused: true, input: s.input,
  }));
  try {
    await schedule.trigger(ScheduleOverlapPolicy.SKIP);
    for (let i = 0; i < 100; i += 1) {
      const running = (await schedule.describe()).info.runningActions[0];
      if (running) {
        return { kind: 'scheduled', workflowId: running.workflow.workflowId, handle: s.client.workflow.getHandle(running.workflow.workflowId), terminated: false };
      }
      await sleep(200);
    }
    throw new Error(`schedule ${scheduleId} did not start a run within 20 s`);
  } finally {
    await schedule.delete().catch(() => undefined);
  }
}

/** Waits for the run's end; connection errors (a restarting server) are retried until `deadline`. */
export async function awaitRun(run: RunRecord, deadline: number): Promise<void> {
  for (;;) {
    try {
      run.summary = (await run.handle.result()) as ChargeRunSummary;
      return;
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        run.error = `${err.message}: ${err.cause?.message ?? ''}`;
        return;
      }
      if (Date.now() > deadline) throw new Error(`run ${run.workflowId} did not finish in time`, { cause: err });
      await sleep(1_000);
    }
  }
}

export async function terminateRun(run: RunRecord): Promise<void> {
  await run.handle.terminate('chaos: terminated mid-flight');
  run.terminated = true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
