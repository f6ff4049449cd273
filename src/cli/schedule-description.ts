/** A schedule as an operator reads it (timing in words, both clocks, durations) and as JSON for machines. */
import { DAYS_OF_WEEK, MONTHS, type CalendarSpecDescription, type Range, type ScheduleDescription } from '@temporalio/client';
import cronstrue from 'cronstrue';

/** 5400000 → "1h 30m"; exact, largest units first (the catch-up window, intervals). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

function cronField<T>(ranges: Range<T>[], toNumber: (v: T) => number, full: [number, number]): string {
  if (ranges.length === 0) return '*';
  return ranges.map((r) => {
    const start = toNumber(r.start);
    const end = toNumber(r.end);
    const step = r.step > 1 ? `/${r.step}` : '';
    if (start === full[0] && end === full[1]) return `*${step}`;
    return start === end ? `${start}${step}` : `${start}-${end}${step}`;
  }).join(',');
}

/**
 * The server stores `--cron` as a structured calendar; this writes it back as a cron expression
 * (seconds first when they are not 0, year last when set) so it can be put into words.
 */
export function calendarToCron(c: CalendarSpecDescription): string {
  const id = (n: number) => n;
  const fields = [
    cronField(c.minute, id, [0, 59]),
    cronField(c.hour, id, [0, 23]),
    cronField(c.dayOfMonth, id, [1, 31]),
    cronField(c.month, (m) => MONTHS.indexOf(m) + 1, [1, 12]),
    cronField(c.dayOfWeek, (d) => DAYS_OF_WEEK.indexOf(d), [0, 6]),
  ];
  const second = cronField(c.second, id, [0, 59]);
  const year = c.year.length > 0 ? cronField(c.year, id, [-1, -1]) : undefined;
  if (second !== '0' || year !== undefined) fields.unshift(second);
  if (year !== undefined) fields.push(year);
  return fields.join(' ');
}

function describeCron(cron: string): string {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return `cron ${cron}`;
  }
}

/** "2026-12-03 06:00 CET" in `timeZone`. */
export function formatInZone(t: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    }).formatToParts(t).map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const seconds = parts.second === '00' ? '' : `:${parts.second}`;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds} ${parts.timeZoneName}`;
}

/** The SDK's default unpause note ends in a stray quote ('Unpaused via TypeScript SDK"'). */
function cleanNote(note: string | undefined): string | undefined {
  const trimmed = note?.trim();
  if (!trimmed) return undefined;
  const quotes = trimmed.split('"').length - 1;
  return quotes % 2 === 1 && trimmed.endsWith('"') ? trimmed.slice(0, -1) : trimmed;
}

const OVERLAP_MEANING: Record<string, string> = {
  SKIP: 'a start is skipped while the previous run is still going',
  BUFFER_ONE: 'one start waits for the previous run to finish',
  BUFFER_ALL: 'every start waits for the previous run to finish',
  CANCEL_OTHER: 'a start cancels the previous run',
  TERMINATE_OTHER: 'a start terminates the previous run',
  ALLOW_ALL: 'runs may overlap',
};

export interface ScheduleSummary {
  scheduleId: string;
  timing: { kind: 'cron'; cron: string; description: string }[] | { kind: 'interval'; everyMs: number; offsetMs: number; description: string }[];
  timezone: string;
  nextRuns: { utc: string; local: string }[];
  paused: boolean;
  note?: string;
  overlap: string;
  catchupWindowMs: number;
  catchupWindow: string;
  runsStarted: number;
  skippedForOverlap: number;
  recentRuns: { at: string; workflowId: string }[];
  runningWorkflowIds: string[];
  input: unknown;
}

export function summarizeSchedule(d: ScheduleDescription, nextRunCount = 3): ScheduleSummary {
  const timezone = d.spec.timezone ?? 'UTC';
  const crons = (d.spec.calendars ?? []).map((c) => {
    const cron = calendarToCron(c);
    return { kind: 'cron' as const, cron, description: describeCron(cron) };
  });
  const intervals = (d.spec.intervals ?? []).map((i) => ({
    kind: 'interval' as const,
    everyMs: i.every,
    offsetMs: i.offset ?? 0,
    description: `Every ${formatDuration(i.every)}${(i.offset ?? 0) > 0 ? `, offset ${formatDuration(i.offset)}` : ''}`,
  }));
  const action = d.action.type === 'startWorkflow' ? d.action : undefined;
  const note = cleanNote(d.state.note);
  return {
    scheduleId: d.scheduleId,
    timing: crons.length > 0 ? crons : intervals,
    timezone,
    nextRuns: d.info.nextActionTimes.slice(0, nextRunCount).map((t) => ({ utc: t.toISOString(), local: formatInZone(t, timezone) })),
    paused: d.state.paused,
    ...(note !== undefined && { note }),
    overlap: d.policies.overlap ?? 'SKIP', // unset means the server default, SKIP
    catchupWindowMs: d.policies.catchupWindow,
    catchupWindow: formatDuration(d.policies.catchupWindow),
    runsStarted: d.info.numActionsTaken,
    skippedForOverlap: d.info.numActionsSkippedOverlap,
    recentRuns: d.info.recentActions.slice(-5).map((a) => ({ at: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    runningWorkflowIds: d.info.runningActions.map((a) => a.workflow.workflowId),
    input: action?.args?.[0] ?? {},
  };
}

export function formatScheduleSummary(s: ScheduleSummary): string {
  const label = (name: string) => `  ${`${name}:`.padEnd(13)}`;
  const indent = ' '.repeat(15);
  const timing = s.timing.map((t) => (t.kind === 'cron' ? `${t.description} (cron ${t.cron})` : t.description));
  const nextRuns = s.nextRuns.map((r) => (s.timezone === 'UTC' ? r.utc : `${r.local}  (${r.utc})`));
  const input = JSON.stringify(s.input);
  return [
    `schedule ${s.scheduleId}`,
    `${label('when')}${timing.join('; ') || 'no times (only triggered by hand)'}`,
    `${label('time zone')}${s.timezone}`,
    `${label('state')}${s.paused ? 'paused' : 'active'}${s.note ? ` — ${s.note}` : ''}`,
    `${label('next runs')}${nextRuns[0] ?? 'none'}${s.paused && nextRuns.length > 0 ? '  (once unpaused)' : ''}`,
    ...nextRuns.slice(1).map((r) => `${indent}${r}`),
    `${label('overlap')}${s.overlap} — ${OVERLAP_MEANING[s.overlap] ?? 'see Temporal docs'}`,
    `${label('catch-up')}${s.catchupWindow} — runs missed during an outage shorter than this are started afterwards`,
    `${label('run input')}${input === '{}' ? 'defaults' : input}`,
    `${label('runs so far')}${s.runsStarted}, skipped for overlap: ${s.skippedForOverlap}${s.runningWorkflowIds.length > 0 ? `, running now: ${s.runningWorkflowIds.join(', ')}` : ''}`,
    ...(s.recentRuns.length > 0 ? [`${label('recent runs')}${s.recentRuns.map((r) => `${r.at} → ${r.workflowId}`).join(`\n${indent}`)}`] : []),
  ].join('\n');
}
