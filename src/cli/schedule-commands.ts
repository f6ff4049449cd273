import {
  ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleSpec,
} from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common';
import type { TemporalConfig } from '../config';
import { CHARGE_WORKFLOW_TYPE } from '../shared';
import type { ChargeRunInput } from '../workflows/charge-pending-invoices';
import { formatScheduleSummary, summarizeSchedule, type ScheduleSummary } from './schedule-description';

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

/** How to create `scheduleId` from this CLI (the `--id` only when it is not the default). */
export function createHint(scheduleId: string): string {
  const id = scheduleId === DEFAULT_SCHEDULE_ID ? '' : ` --id ${JSON.stringify(scheduleId)}`;
  return `npm run client -- schedule${id} create --cron "0 6 * * *" --timezone Europe/Berlin`;
}

/** The server says "workflow not found for ID: temporal-sys-scheduler:…" or "workflow execution already completed". */
export function missingScheduleError(scheduleId: string, cause?: unknown): Error {
  return new Error(`no schedule ${JSON.stringify(scheduleId)}; create it with: ${createHint(scheduleId)}`, { cause });
}

async function onSchedule<T>(scheduleId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw missingScheduleError(scheduleId, err);
    throw err;
  }
}

export async function createSchedule(client: Client, config: TemporalConfig, scheduleId: string, flags: ScheduleFlags): Promise<void> {
  try {
    await client.schedule.create(scheduleOptions(config, scheduleId, flags));
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) {
      throw new Error(`schedule ${JSON.stringify(scheduleId)} already exists; change it with "schedule update" or remove it with "schedule delete"`, { cause: err });
    }
    throw err;
  }
}

export async function updateSchedule(client: Client, config: TemporalConfig, scheduleId: string, flags: ScheduleFlags): Promise<void> {
  const options = scheduleOptions(config, scheduleId, flags);
  await onSchedule(scheduleId, () => client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
    state: { ...previous.state, paused: flags.paused, note: flags.note },
  })));
}

export async function readSchedule(client: Client, scheduleId: string): Promise<ScheduleSummary> {
  return summarizeSchedule(await onSchedule(scheduleId, () => client.schedule.getHandle(scheduleId).describe()));
}

export async function describeSchedule(client: Client, scheduleId: string, json = false): Promise<string> {
  const summary = await readSchedule(client, scheduleId);
  return json ? JSON.stringify(summary, null, 2) : formatScheduleSummary(summary);
}

// The SDK's own default notes end in a stray quote; ours say where the change came from.
const PAUSE_NOTE = 'paused with the invoice-charging CLI';
const UNPAUSE_NOTE = 'unpaused with the invoice-charging CLI';

export async function pauseSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await onSchedule(scheduleId, () => client.schedule.getHandle(scheduleId).pause(note ?? PAUSE_NOTE));
}

export async function unpauseSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await onSchedule(scheduleId, () => client.schedule.getHandle(scheduleId).unpause(note ?? UNPAUSE_NOTE));
}

export async function triggerSchedule(client: Client, scheduleId: string): Promise<void> {
  await onSchedule(scheduleId, () => client.schedule.getHandle(scheduleId).trigger());
}

/** Idempotent: deleting a schedule that is not there (any more) is not an error. Returns whether one was deleted. */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
