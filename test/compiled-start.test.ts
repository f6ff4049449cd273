import { strict as assert } from 'node:assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getTestStack, STACK_START_TIMEOUT_MS } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

/** `npm start --silent` in its own process group until the readiness line (then SIGTERM to the group). */
function startCompiledWorker(env: Record<string, string>): Promise<{ ready: boolean; beforeReady: string; output: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let beforeReady = '';
    let ready = false;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      killGroup('SIGKILL');
    }, 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!ready && /worker polling task queue/.test(output)) {
        ready = true;
        beforeReady = output;
        killGroup('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ ready, beforeReady, output, killed });
    });
  });
}

describe('compiled production start: npm run build, then npm start', function () {
  this.timeout(STACK_START_TIMEOUT_MS + 600_000);

  before(async () => {
    // The real build: tsc, the SQL migrations copied, the workflow bundle written.
    await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 });
  });

  it('builds the compiled worker, its workflow bundle and the migration files', () => {
    const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    assert.equal(start, 'node --max-old-space-size=256 lib/worker.js', 'plain node with the benchmarks\' heap flag, no tsx');
    assert.ok(existsSync(path.join(LIB, 'worker.js')));
    const bundle = readFileSync(path.join(LIB, 'workflow-bundle.js'), 'utf8');
    assert.match(bundle, /chargePendingInvoices/, 'the bundle holds the workflows');
    const sourceSql = readdirSync(path.join(ROOT, 'src', 'db', 'migrations')).filter((f) => f.endsWith('.sql')).sort();
    assert.ok(sourceSql.length > 0);
    assert.deepEqual(readdirSync(path.join(LIB, 'db', 'migrations')).filter((f) => f.endsWith('.sql')).sort(), sourceSql);
  });

  it('node lib/db/migrate.js finds the copied migrations', async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    const stack = await getTestStack();
    const { stdout } = await promisify(execFile)(process.execPath, ['lib/db/migrate.js', '--plan'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', MYSQL_URL: stack.env.MYSQL_URL } });
    // The test stack is migrated already: the plan reads the files and finds nothing to do.
    assert.match(stdout, /nothing to do: the schema is up to date/);
  });

  it('npm start prints exactly one readiness line, no bundler output, and stops on SIGTERM', async function () {
    this.timeout(STACK_START_TIMEOUT_MS + 180_000);
    const stack = await getTestStack();
    const run = await startCompiledWorker(stack.env);
    assert.ok(run.ready, `the compiled worker became ready; output:\n${run.output}`);
    const lines = run.beforeReady.trim().split('\n');
    assert.equal(lines.length, 1, `one line before readiness, got:\n${run.beforeReady}`);
    assert.match(lines[0] ?? '', /^worker polling task queue "[^"]+" on 127\.0\.0\.1:\d+ \(namespace default, /);
    assert.doesNotMatch(run.output, /webpack|Workflow bundle created|asset workflow-bundle/i);
    // SIGTERM went to the whole group (npm too, which then reports the signal, not the worker's
    // exit code): the worker stopped by itself, well before the SIGKILL fallback, and did not fail.
    assert.equal(run.killed, false, 'stopped on SIGTERM');
    assert.doesNotMatch(run.output, /worker failed/);
  });

  it('the systemd unit passes systemd-analyze verify (with this node as ExecStart)', async () => {
    const unit = readFileSync(path.join(ROOT, 'ops', 'systemd', 'invoice-charging-worker.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/opt\/invoice-charging\/\.tools\/node\/bin\/node --max-old-space-size=256 lib\/worker\.js$/m);
    // verify also checks that ExecStart exists: point it at the node running this test.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'unit-verify-'));
    try {
      const copy = path.join(dir, 'invoice-charging-worker.service');
      writeFileSync(copy, unit.replace('/opt/invoice-charging/.tools/node/bin/node', process.execPath));
      const { stdout, stderr } = await promisify(execFile)('systemd-analyze', ['verify', copy]);
      assert.equal(`${stdout}${stderr}`.trim(), '', 'no warnings');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
