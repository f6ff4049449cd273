import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort, isListening } from '../../dev/stack/ports';
import { readState, stateFile } from '../../dev/stack/state';
import { PROJECT_ROOT } from '../../dev/stack/tools';

const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = path.join(PROJECT_ROOT, 'dev', 'stack', 'cli.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function stackCli(args: string[], env: Record<string, string>): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(TSX, [CLI, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('stack: npm run stack (up --detach, status, down)', function () {
  this.timeout(300_000);
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'stack-cli-test-'));
    env = {
      TEMPORAL_PORT: String(await findFreePort()),
      TEMPORAL_UI_PORT: String(await findFreePort()),
      MYSQL_PORT: String(await findFreePort()),
      STRIPE_SIM_PORT: String(await findFreePort()),
    };
  });
  after(async () => {
    await stackCli(['down', '--data-dir', dataDir], env); // in case a test failed half-way
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts in the background, reports where everything is, and stops', async () => {
    const up = await stackCli(['up', '--detach', '--data-dir', dataDir], env);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, new RegExp(`Temporal +127\\.0\\.0\\.1:${env.TEMPORAL_PORT}`));
    assert.match(up.stdout, new RegExp(`Temporal Web UI http://127\\.0\\.0\\.1:${env.TEMPORAL_UI_PORT}`));
    assert.match(up.stdout, new RegExp(`export MYSQL_URL=mysql://root@127\\.0\\.0\\.1:${env.MYSQL_PORT}/invoices`));
    assert.match(up.stdout, new RegExp(`export STRIPE_API_BASE=http://127\\.0\\.0\\.1:${env.STRIPE_SIM_PORT}`));
    const state = readState(dataDir);
    assert.ok(state?.ready);

    const status = await stackCli(['status', '--data-dir', dataDir], env);
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, /DOWN/);

    const again = await stackCli(['up', '--data-dir', dataDir], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a stack is already running/);

    const down = await stackCli(['down', '--data-dir', dataDir], env);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(existsSync(stateFile(dataDir)), false);
    for (const port of Object.values(env)) assert.equal(await isListening(Number(port)), false, `port ${port} closed`);
  });

  it('fails with a clear message when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env.MYSQL_PORT), '127.0.0.1', resolve));
    try {
      const up = await stackCli(['up', '--data-dir', dataDir], env);
      assert.equal(up.code, 1);
      assert.match(
        up.stderr,
        new RegExp(`port ${env.MYSQL_PORT} \\(MariaDB\\) is already in use; set MYSQL_PORT or stop the other process`),
      );
    } finally {
      blocker.close();
    }
  });
});
