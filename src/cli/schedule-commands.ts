import { ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common';
import type { TemporalConfig } from '../config';
import { CHARGE_WORKFLOW_TYPE } from '../shared';
import type { ChargeRunInput } from '../workflows/charge-pending-invoices';

export const DEFAULT_SCHEDULE_ID = 'invoice-charging';

export interface ScheduleFlags {
  cron?: string;
  every?: string;
  timezone?: string;
  overlap: keyof typeof ScheduleOverlapPolicy;
  catchupWindow: string;
  paused: boolean;
  note?: string;
  input: ChargeRunInput;
}

/** '15m', '1h', '1 day' → milliseconds, with a message that names the flag. */
export function parseDuration(flag: string, value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Duration);
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`${flag} must be a duration such as 15m, 1h or 1d (got ${JSON.stringify(value)})`);
  return ms;
}

export function scheduleSpec(flags: Pick<ScheduleFlags, 'cron' | 'every' | 'timezone'>): ScheduleSpec {
  const timezone = flags.timezone ?? 'UTC';
  if (flags.cron !== undefined && flags.every === undefined) return { cronExpressions: [flags.cron], timezone };
  if (flags.every !== undefined && flags.cron === undefined) return { intervals: [{ every: parseDuration('--every', flags.every) }], timezone };
  throw new Error('give exactly one of --cron "<expr>" or --every <duration>');
}

export function scheduleOptions(config: TemporalConfig, scheduleId: string, flags: ScheduleFlags): ScheduleOptions {
  return {
    scheduleId,
    spec: scheduleSpec(flags),
    action: {
      type: 'startWorkflow',
      workflowType: CHARGE_WORKFLOW_TYPE,
      // The server appends the action time, so each scheduled run has its own id.
      workflowId: `charge-run-${scheduleId}`,
      taskQueue: config.taskQueue,
      args: [flags.input],
      staticSummary: `Scheduled invoice charging run (schedule ${scheduleId})`,
    },
    policies: {
      overlap: ScheduleOverlapPolicy[flags.overlap],
      catchupWindow: parseDuration('--catchup-window', flags.catchupWindow),
      pauseOnFailure: false,
    },
    state: { paused: flags.paused, note: flags.note },
  };
}

export async function createSchedule(client: Client, config: TemporalConfig, scheduleId: string, flags: ScheduleFlags): Promise<void> {
  await client.schedule.create(scheduleOptions(config, scheduleId, flags));
}

export async function updateSchedule(client: Client, config: TemporalConfig, scheduleId: string, flags: ScheduleFlags): Promise<void> {
  const options = scheduleOptions(config, scheduleId, flags);
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
    state: { ...previous.state, paused: flags.paused, note: flags.note },
  }));
}

export async function describeSchedule(client: Client, scheduleId: string): Promise<string> {
  const d = await client.schedule.getHandle(scheduleId).describe();
  const recent = d.info.recentActions.slice(-5).map((a) => `    ${a.takenAt.toISOString()} → ${a.action.workflow.workflowId}`);
  return [
    `schedule ${d.scheduleId}${d.state.paused ? ' (paused)' : ''}${d.state.note ? ` — ${d.state.note}` : ''}`,
    `  spec: ${JSON.stringify({ calendars: d.spec.calendars, intervals: d.spec.intervals, timezone: d.spec.timezone })}`,
    `  overlap: ${d.policies.overlap}, catch-up window: ${d.policies.catchupWindow} ms`,
    `  next runs: ${d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()).join(', ') || 'none'}`,
    `  runs so far: ${d.info.numActionsTaken}, skipped for overlap: ${d.info.numActionsSkippedOverlap}`,
    ...(recent.length > 0 ? ['  recent runs:', ...recent] : []),
  ].join('\n');
}
