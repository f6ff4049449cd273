/**
 * Where a charge's time goes, read back from the run's histories: for every `chargeInvoice`
 * activity, scheduled → started (the task queue: its rate limit and dispatch), started →
 * completed (the activity: DB claim, Stripe, DB record), completed → the workflow task that
 * sees it started (waiting for a workflow task), and that task's own time. With the run's
 * concurrency, these say whether a run is limited by the rate limit, by the worker or by the
 * workflow's turn-around.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

export interface Percentiles { p50: number; p95: number; mean: number }

export interface ChargeCycle {
  /** Charge activities measured (completed ones; retries count once). */
  activities: number;
  /** Milliseconds: queue = scheduled → started, run = started → completed, wftWait = completed → workflow task started, wftRun = workflow task started → completed. */
  queueMs: Percentiles;
  runMs: Percentiles;
  wftWaitMs: Percentiles;
  wftRunMs: Percentiles;
  /** The same for charges that waited in a customer's lane (scheduled with a priority key). */
  lane: { activities: number; queueMs: Percentiles; runMs: Percentiles };
  /** Completions each workflow task handled (how much the workflow batches). */
  completionsPerWorkflowTask: number;
}

function ms(t: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!t) return 0;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, mean: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), mean: Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

/** The cycle figures of every execution of the workflow id's continue-as-new chain. */
export async function chargeCycle(client: Client, workflowId: string): Promise<ChargeCycle> {
  const queue: number[] = [];
  const run: number[] = [];
  const wftWait: number[] = [];
  const wftRun: number[] = [];
  const laneQueue: number[] = [];
  const laneRun: number[] = [];
  let workflowTasks = 0;
  let completions = 0;
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    const scheduled = new Map<number, { at: number; charge: boolean; lane: boolean }>();
    const started = new Map<number, number>();
    let pending: number[] = []; // completion times not yet seen by a workflow task
    let taskStartedAt = 0;
    for (const e of history.events ?? []) {
      const id = Number(e.eventId);
      const at = ms(e.eventTime);
      switch (e.eventType) {
        case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
          scheduled.set(id, {
            at,
            charge: e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeInvoice',
            lane: (e.activityTaskScheduledEventAttributes?.priority?.priorityKey ?? 0) > 0,
          });
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
          started.set(Number(e.activityTaskStartedEventAttributes?.scheduledEventId), at);
          break;
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
          const a = e.activityTaskCompletedEventAttributes;
          const s = scheduled.get(Number(a?.scheduledEventId));
          const st = started.get(Number(a?.scheduledEventId));
          if (s?.charge && st !== undefined) {
            queue.push(st - s.at);
            run.push(at - st);
            pending.push(at);
            if (s.lane) {
              laneQueue.push(st - s.at);
              laneRun.push(at - st);
            }
          }
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
          taskStartedAt = at;
          for (const c of pending) wftWait.push(at - c);
          completions += pending.length;
          pending = [];
          break;
        case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
          workflowTasks += 1;
          if (taskStartedAt > 0) wftRun.push(at - taskStartedAt);
          break;
        default:
          break;
      }
    }
  }
  return {
    activities: run.length,
    queueMs: percentiles(queue),
    runMs: percentiles(run),
    wftWaitMs: percentiles(wftWait),
    wftRunMs: percentiles(wftRun),
    lane: { activities: laneRun.length, queueMs: percentiles(laneQueue), runMs: percentiles(laneRun) },
    completionsPerWorkflowTask: workflowTasks ? Math.round((completions / workflowTasks) * 10) / 10 : 0,
  };
}
