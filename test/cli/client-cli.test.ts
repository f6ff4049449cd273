import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedDemoData } from '../../dev/demo/demo-data';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { startRealWorker, type RealWorker } from '../support/real-worker';
import type { TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

describe('client CLI against the real dev server', function () {
  this.timeout(120_000);
  let real: RealWorker;
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let taskQueue: string;
  const cli = async (...args: string[]) => {
    const { stdout } = await execFileAsync(TSX, ['src/client.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: s.stack.temporal.address, TASK_QUEUE: taskQueue, MYSQL_URL: s.stack.mysql.url, TEMPORAL_CODEC: 'off' },
    });
    return stdout;
  };
  /** A command expected to fail: its exit code and stderr. */
  const cliFails = async (...args: string[]): Promise<{ code: number; stderr: string }> => {
    try {
      await cli(...args);
    } catch (err) {
      const e = err as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? '' };
    }
    throw new Error(`expected "${args.join(' ')}" to fail`);
  };

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    real = await startRealWorker('cli');
    ({ services: s, env, taskQueue } = real);
    await s.reset();
    await seedDemoData(s.db, s.stripe);
  });
  after(() => real?.stop());

  it('documents its commands in --help', async () => {
    const help = await cli('--help');
    for (const command of ['run', 'result', 'schedule']) assert.match(help, new RegExp(`\\b${command}\\b`));
    assert.match(await cli('schedule', '--help'), /create[\s\S]*update[\s\S]*describe[\s\S]*pause[\s\S]*unpause[\s\S]*trigger[\s\S]*delete/);
  });

  it('refuses bad flags and unreachable Temporal with a clear message', async () => {
    await assert.rejects(cli('run', '--concurrency', '-3'), /must be a positive integer/);
    await assert.rejects(
      execFileAsync(TSX, ['src/client.ts', 'schedule', 'describe'], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_CODEC: 'off' } }),
      /cannot reach Temporal at 127\.0\.0\.1:1/,
    );
  });

  it('run --dry-run --wait prints the summary table and JSON', async () => {
    const out = await cli('run', '--dry-run', '--wait', '--json', '--workflow-id', `${taskQueue}-dry`);
    assert.match(out, /Dry run as of/);
    assert.doesNotMatch(out, /0\/0|waiting for the worker/, 'a fast run draws no empty progress');
    assert.match(out, /would_charge 7/);
    const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as ChargeRunSummary;
    assert.equal(json.totals.would_charge, 7);
    assert.match(out, /Web UI: http:\/\/.*\/workflows\//);
    assert.match(out, /per phase: claims to resolve 0 · due invoices 8 \(skipped 1, would_charge 7\) · dunning retries 0/);
    assert.match(out, /invoice\s+phase\s+status/);
    assert.match(out, /claims held by other runs: none/);
    const described = await env.client.workflow.getHandle(`${taskQueue}-dry`).describe();
    assert.equal(await described.staticSummary(), 'Ad-hoc dry run: what would be charged, as of its start');
  });

  it('run --recover-only --wait is a recovery sweep: the recover phase alone, nothing new charged', async () => {
    const out = await cli('run', '--recover-only', '--wait', '--workflow-id', `${taskQueue}-sweep`);
    assert.match(out, /Run as of .*: 0 of 0 invoices processed/);
    assert.match(out, /per phase: claims to resolve 0 · due invoices 0 · dunning retries 0/);
  });

  it('run --wait charges, and invoices lists the declines with their next retry', async () => {
    const out = await cli('run', '--wait', '--workflow-id', `${taskQueue}-real`);
    assert.match(out, /paid 4 · requires_auth 1 · failed 2 · skipped 1/);
    assert.match(out, /charges sent: 7 first attempts, 0 retries/);
    const report = await cli('invoices', '--status', 'failed,requires_auth');
    assert.match(report, /\nclaims held by runs: none\n$/);
    const [overview, details] = report.slice(0, report.indexOf('\nclaims held by runs')).trim().split('\n\n');
    const lines = overview.split('\n');
    assert.equal(lines.length, 2 + 3, report);
    assert.match(lines[0], /\bnext\b.*\bwhy\b/);
    // Each failed invoice says why (the rule that fired, in words, and its inputs) and what happens next.
    const explained = details.split('\n').filter((l) => l.startsWith('invoice '));
    assert.equal(explained.length, 2, report);
    assert.match(details, /why: {2}schedule:day-1: Retry on day 1 after the first failure/);
    assert.match(details, /from code=card_declined, decline_code=insufficient_funds, advice_code=try_again_later, network_decline_code=51, network=visa/);
    assert.match(details, /next: \d{4}-\d\d-\d\dT/);
    const insufficient = lines.find((l) => l.includes('insufficient_funds'));
    assert.ok(insufficient, report);
    assert.match(insufficient, /75\.00 USD\s+1\s+0\s+\S+\s+\d{4}-\d\d-\d\dT/, 'a soft decline shows its next attempt');
    assert.match(lines.find((l) => l.includes('generic_decline')) ?? '', /failed.*schedule:day-1/);
    assert.match(lines.find((l) => l.includes('requires_auth')) ?? '', /pi_/);
  });

  it('creates, triggers, describes, pauses and deletes a schedule', async () => {
    const id = `${taskQueue}-schedule`;
    const created = await cli('schedule', '--id', id, 'create', '--every', '1h', '--paused', '--dry-run', '--note', 'test schedule');
    assert.match(created, /paused/);
    await cli('schedule', '--id', id, 'trigger');
    let runs = 0;
    for (let i = 0; i < 50 && runs === 0; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      runs = (await env.client.schedule.getHandle(id).describe()).info.numActionsTaken;
    }
    assert.equal(runs, 1);
    const described = await env.client.schedule.getHandle(id).describe();
    const started = described.info.recentActions[0].action.workflow.workflowId;
    const summary = await env.client.workflow.getHandle(started).result() as ChargeRunSummary;
    assert.equal(summary.dryRun, true);
    const startedDescription = await env.client.workflow.getHandle(started).describe();
    assert.match((await startedDescription.staticSummary()) ?? '', /Scheduled invoice charging run/);
    assert.match(await cli('schedule', '--id', id, 'describe'), /runs so far: 1/);
    await cli('schedule', '--id', id, 'update', '--cron', '0 6 * * *', '--timezone', 'Europe/Berlin', '--paused');
    assert.equal((await env.client.schedule.getHandle(id).describe()).spec.timezone, 'Europe/Berlin');
    await cli('schedule', '--id', id, 'unpause');
    assert.equal((await env.client.schedule.getHandle(id).describe()).state.paused, false);
    await cli('schedule', '--id', id, 'pause', '--note', 'maintenance');
    assert.equal((await env.client.schedule.getHandle(id).describe()).state.paused, true);
    await cli('schedule', '--id', id, 'delete');
    await assert.rejects(env.client.schedule.getHandle(id).describe());
  });

  it('says once, plainly, that a schedule does not exist, and deletes idempotently', async () => {
    const id = `${taskQueue}-missing`;
    for (const command of [['describe'], ['trigger'], ['pause'], ['unpause'], ['update', '--every', '1h']]) {
      const { code, stderr } = await cliFails('schedule', '--id', id, ...command);
      assert.equal(code, 1, command.join(' '));
      assert.equal(stderr.trim(), `error: no schedule "${id}"; create it with: npm run client -- schedule --id "${id}" create --cron "0 6 * * *" --timezone Europe/Berlin`);
    }
    assert.equal((await cli('schedule', '--id', id, 'delete')).trim(), `no schedule "${id}": nothing to delete`);
    await cli('schedule', '--id', id, 'create', '--every', '1h', '--paused');
    const twice = await cliFails('schedule', '--id', id, 'create', '--every', '1h');
    assert.match(twice.stderr, /already exists; change it with "schedule update"/);
    assert.equal((await cli('schedule', '--id', id, 'delete')).trim(), `schedule ${id} deleted`);
    assert.equal((await cli('schedule', '--id', id, 'delete')).trim(), `no schedule "${id}": nothing to delete`);
  });

  it('describes a schedule in words, in its own time zone and in UTC, and as JSON', async () => {
    const id = `${taskQueue}-berlin`;
    await cli('schedule', '--id', id, 'create', '--cron', '0 6 * * 1-5', '--timezone', 'Europe/Berlin', '--catchup-window', '90m', '--overlap', 'BUFFER_ONE');
    try {
      const text = await cli('schedule', '--id', id, 'describe');
      assert.match(text, /when: +At 06:00, Monday through Friday \(cron 0 6 \* \* 1-5\)/);
      assert.match(text, /time zone: +Europe\/Berlin/);
      assert.match(text, /state: +active/);
      assert.match(text, /catch-up: +1h 30m/);
      assert.match(text, /overlap: +BUFFER_ONE — one start waits/);
      assert.doesNotMatch(text, /[{}]|5400000/, 'no raw spec JSON, no milliseconds');
      const nextRuns = [...text.matchAll(/(\d{4}-\d\d-\d\d) 06:00 (CES?T) +\((\S+)\)/g)];
      assert.equal(nextRuns.length, 3, text);
      for (const [, , zone, utc] of nextRuns) {
        const t = new Date(utc);
        assert.equal(t.getUTCHours(), zone === 'CET' ? 5 : 4, `${utc} is 06:00 ${zone}`);
        assert.ok(t.getUTCDay() >= 1 && t.getUTCDay() <= 5, `${utc} is a weekday`);
      }

      const json = JSON.parse(await cli('schedule', '--id', id, 'describe', '--json')) as {
        timing: { cron: string }[]; timezone: string; catchupWindowMs: number; nextRuns: { utc: string; local: string }[]; paused: boolean;
      };
      assert.equal(json.timing[0].cron, '0 6 * * 1-5');
      assert.equal(json.timezone, 'Europe/Berlin');
      assert.equal(json.catchupWindowMs, 5_400_000);
      assert.deepEqual(json.nextRuns.map((r) => r.utc), nextRuns.map((m) => m[3]));

      await cli('schedule', '--id', id, 'pause', '--note', 'card network maintenance');
      assert.match(await cli('schedule', '--id', id, 'describe'), /state: +paused — card network maintenance\n/);
      await cli('schedule', '--id', id, 'unpause');
      const unpaused = await cli('schedule', '--id', id, 'describe');
      assert.match(unpaused, /state: +active — unpaused with the invoice-charging CLI\n/);
      assert.doesNotMatch(unpaused, /"/, 'no stray quote');
    } finally {
      await cli('schedule', '--id', id, 'delete');
    }
  });
});
