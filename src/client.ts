/** The command line: start runs, manage the schedule, fetch results. `--help` on every command. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { loadClientConfig, loadDatabaseConfig, orExit, type TemporalConfig } from './config';
import { claimOwnerLookupForCli, formatHeldClaims, formatInvoiceReport } from './cli/invoices-command';
import { describeClaimHolders } from './activities/held-claims';
import { createPool } from './db/pool';
import { listInvoicesForReport } from './db/reports';
import { connectClient } from './cli/connect';
import { loadTemporalConnectionSettings } from './temporal/connection';
import { formatSummary } from './cli/print-summary';
import { startRun } from './cli/run-command';
import {
  createSchedule, DEFAULT_SCHEDULE_ID, deleteSchedule, describeSchedule, pauseSchedule, triggerSchedule, unpauseSchedule,
  updateSchedule, type ScheduleFlags,
} from './cli/schedule-commands';
import type { ChargeRunInput, ChargeRunSummary } from './workflows/charge-pending-invoices';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const isoTime = (value: string): string => {
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) throw new InvalidArgumentError('must be an ISO date/time, e.g. 2026-11-30T00:00:00Z');
  return t.toISOString();
};

interface RunInputFlags { asOf?: string; pageSize?: number; concurrency?: number; dryRun?: boolean; maxResults?: number; recoverOnly?: boolean }

function withRunInputFlags(cmd: Command): Command {
  return cmd
    .option('--as-of <time>', 'charge invoices due at or before this UTC time (default: when the run starts)', isoTime)
    .option('--page-size <n>', 'invoices fetched per page', positiveInt)
    .option('--concurrency <n>', 'charges in flight at once', positiveInt)
    .option('--max-results <n>', 'cap on per-invoice entries in the summary', positiveInt)
    .option('--dry-run', 'list what would be charged or skipped; no Stripe call, no DB write')
    .option('--recover-only', 'a recovery sweep: resolve the claims of closed runs (and expired leases), charge nothing new');
}

function runInput(flags: RunInputFlags): ChargeRunInput {
  return {
    ...(flags.asOf !== undefined && { asOf: flags.asOf }),
    ...(flags.pageSize !== undefined && { pageSize: flags.pageSize }),
    ...(flags.concurrency !== undefined && { concurrency: flags.concurrency }),
    ...(flags.maxResults !== undefined && { maxResultsInSummary: flags.maxResults }),
    ...(flags.dryRun === true && { dryRun: true }),
    ...(flags.recoverOnly === true && { recoverOnly: true }),
  };
}

async function withClient(work: (client: Awaited<ReturnType<typeof connectClient>>['client'], config: TemporalConfig) => Promise<void>): Promise<void> {
  const config = orExit(() => loadClientConfig());
  const { client, close } = await connectClient(config, orExit(() => loadTemporalConnectionSettings(config)));
  try {
    await work(client, config);
  } finally {
    await close();
  }
}

const program = new Command('invoice-charging')
  .description('Durable, exactly-once invoice charging on Temporal and Stripe')
  .showHelpAfterError();

withRunInputFlags(
  program.command('run').description('start an ad-hoc charging run')
    .option('--wait', 'follow the run with a progress bar and print its summary')
    .option('--json', 'with --wait: also print the summary as JSON')
    .option('--workflow-id <id>', 'workflow id for the run (default: charge-run-adhoc-<time>)'),
).action(async (flags: RunInputFlags & { wait?: boolean; json?: boolean; workflowId?: string }) => {
  await withClient(async (client, config) => {
    await startRun(client, config, { input: runInput(flags), wait: flags.wait === true, json: flags.json === true, workflowId: flags.workflowId });
  });
});

program.command('invoices').description('list invoices by state with attempts, next retry time and last decline (reads MYSQL_URL)')
  .option('--status <statuses>', 'comma-separated states', 'failed,requires_auth,processing')
  .option('--limit <n>', 'at most this many rows', positiveInt, 100)
  .action(async (flags: { status: string; limit: number }) => {
    const { mysqlUrl, mysqlTls } = orExit(() => loadDatabaseConfig());
    const db = createPool(mysqlUrl, { connectionLimit: 1, tls: mysqlTls });
    try {
      const statuses = flags.status.split(',').map((x) => x.trim()).filter(Boolean);
      console.log(formatInvoiceReport(await listInvoicesForReport(db, { statuses, limit: flags.limit })));
      const owners = await claimOwnerLookupForCli();
      try {
        console.log(`\n${formatHeldClaims(await describeClaimHolders(db, owners.lookup, new Date()))}`);
      } finally {
        await owners.close();
      }
    } finally {
      await db.end();
    }
  });

program.command('result').description('print the summary of a finished run')
  .argument('<workflowId>')
  .option('--json', 'print JSON only')
  .action(async (workflowId: string, flags: { json?: boolean }) => {
    await withClient(async (client) => {
      const summary = await client.workflow.getHandle(workflowId).result() as ChargeRunSummary;
      console.log(flags.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    });
  });

const schedule = program.command('schedule').description('manage the Temporal Schedule that starts runs')
  .option('--id <scheduleId>', 'schedule id', DEFAULT_SCHEDULE_ID);
const scheduleId = (): string => (schedule.opts<{ id: string }>().id);

function withScheduleFlags(cmd: Command): Command {
  return withRunInputFlags(cmd)
    .option('--cron <expr>', 'cron expression, e.g. "0 6 * * *"')
    .option('--every <duration>', 'interval, e.g. 15m, 1h')
    .option('--timezone <tz>', 'IANA time zone for --cron', 'UTC')
    .addOption(new Option('--overlap <policy>', 'what to do when a run is still going').choices(Object.keys(ScheduleOverlapPolicy).filter((k) => k !== 'UNSPECIFIED')).default('SKIP'))
    .option('--catchup-window <duration>', 'how far back missed runs are caught up after an outage', '1h')
    .option('--paused', 'create or leave the schedule paused', false)
    .option('--note <text>', 'note shown with the schedule');
}

type ScheduleCliFlags = RunInputFlags & Omit<ScheduleFlags, 'input'>;
const scheduleFlags = (flags: ScheduleCliFlags): ScheduleFlags => ({ ...flags, input: runInput(flags) });

withScheduleFlags(schedule.command('create').description('create the schedule')).action(async (flags: ScheduleCliFlags) => {
  await withClient(async (client, config) => {
    await createSchedule(client, config, scheduleId(), scheduleFlags(flags));
    console.log(await describeSchedule(client, scheduleId()));
  });
});
withScheduleFlags(schedule.command('update').description('replace the schedule\'s timing, policy and run options')).action(async (flags: ScheduleCliFlags) => {
  await withClient(async (client, config) => {
    await updateSchedule(client, config, scheduleId(), scheduleFlags(flags));
    console.log(await describeSchedule(client, scheduleId()));
  });
});
schedule.command('describe').description('show timing in words, next runs, state and recent runs')
  .option('--json', 'print the same as JSON, for scripts')
  .action(async (flags: { json?: boolean }) => {
    await withClient(async (client) => console.log(await describeSchedule(client, scheduleId(), flags.json === true)));
  });
schedule.command('pause').description('stop starting runs').option('--note <text>', 'why').action(async (flags: { note?: string }) => {
  await withClient(async (client) => {
    await pauseSchedule(client, scheduleId(), flags.note);
    console.log(`schedule ${scheduleId()} paused`);
  });
});
schedule.command('unpause').description('start runs again').option('--note <text>', 'why').action(async (flags: { note?: string }) => {
  await withClient(async (client) => {
    await unpauseSchedule(client, scheduleId(), flags.note);
    console.log(`schedule ${scheduleId()} unpaused`);
  });
});
schedule.command('trigger').description('start a run now (overlap policy applies)').action(async () => {
  await withClient(async (client) => {
    await triggerSchedule(client, scheduleId());
    console.log(`schedule ${scheduleId()} triggered`);
  });
});
schedule.command('delete').description('delete the schedule (runs already started continue); nothing to do if there is none').action(async () => {
  await withClient(async (client) => {
    const deleted = await deleteSchedule(client, scheduleId());
    console.log(deleted ? `schedule ${scheduleId()} deleted` : `no schedule ${JSON.stringify(scheduleId())}: nothing to delete`);
  });
});

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
