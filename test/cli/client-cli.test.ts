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
      env: { ...process.env, TEMPORAL_ADDRESS: s.stack.temporal.address, TASK_QUEUE: taskQueue, MYSQL_URL: s.stack.mysql.url },
    });
    return stdout;
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
      execFileAsync(TSX, ['src/client.ts', 'schedule', 'describe'], { cwd: ROOT, env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' } }),
      /cannot reach Temporal at 127\.0\.0\.1:1/,
    );
  });

  it('run --dry-run --wait prints the summary table and JSON', async () => {
    const out = await cli('run', '--dry-run', '--wait', '--json', '--workflow-id', `${taskQueue}-dry`);
    assert.match(out, /Dry run as of/);
    assert.match(out, /would_charge 7/);
    const json = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as ChargeRunSummary;
    assert.equal(json.totals.would_charge, 7);
    assert.match(out, /Web UI: http:\/\/.*\/workflows\//);
  });

  it('run --wait charges, and invoices lists the declines with their next retry', async () => {
    const out = await cli('run', '--wait', '--workflow-id', `${taskQueue}-real`);
    assert.match(out, /paid 4 · requires_auth 1 · failed 2 · skipped 1/);
    assert.match(out, /charges sent: 7 first attempts, 0 retries/);
    const report = await cli('invoices', '--status', 'failed,requires_auth');
    const lines = report.trim().split('\n');
    assert.equal(lines.length, 2 + 3, report);
    const insufficient = lines.find((l) => l.includes('insufficient_funds'));
    assert.ok(insufficient, report);
    assert.match(insufficient, /75\.00 USD\s+1\s+0\s+\S+\s+\d{4}-\d\d-\d\dT/, 'a soft decline shows its next attempt');
    assert.match(lines.find((l) => l.includes('generic_decline')) ?? '', /failed/);
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
});
