import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { inspect } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { findFreePort } from '../../dev/stack/ports';
import { ConfigError, loadConfig, loadWebhookServiceConfig } from '../../src/config';
import { storeStripeEvent } from '../../src/db/settlements';
import { stripeEventWorkflowId } from '../../src/webhooks/start-processing';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { testEnvironment, uniqueTaskQueue } from '../support/temporal';
import { post, WEBHOOK_SECRET } from './helpers';

const base = { MYSQL_URL: 'mysql://root@127.0.0.1:3307/invoices', STRIPE_SECRET_KEY: 'sk_test_secretvalue123', TEMPORAL_CODEC: 'off' };

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

describe('webhook endpoint configuration', () => {
  it('is off without STRIPE_WEBHOOK_SECRET, on with it (port 4242, loopback), and never shows the secret', () => {
    assert.equal(loadConfig(base).webhook, undefined);
    const c = loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
    assert.deepEqual({ port: c.webhook?.port, host: c.webhook?.host }, { port: 4242, host: '127.0.0.1' });
    assert.equal(c.webhook?.secret, WEBHOOK_SECRET);
    assert.ok(!JSON.stringify(c).includes(WEBHOOK_SECRET) && !inspect(c, { depth: 5 }).includes(WEBHOOK_SECRET));
    assert.equal(loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, WEBHOOK_PORT: '8080' }).webhook?.port, 8080);
  });
  it('refuses a malformed secret or port without echoing them', () => {
    const p = problems(() => loadConfig({ ...base, STRIPE_WEBHOOK_SECRET: 'sk_test_wrongkind', WEBHOOK_PORT: '70000' }));
    assert.equal(p.length, 2);
    assert.match(p.join('\n'), /STRIPE_WEBHOOK_SECRET.*whsec_/);
    assert.ok(!p.join('\n').includes('sk_test_wrongkind'));
  });
  it('the endpoint alone needs the secret, MYSQL_URL and Temporal, not the Stripe API key', () => {
    assert.match(problems(() => loadWebhookServiceConfig({ MYSQL_URL: base.MYSQL_URL })).join('\n'), /STRIPE_WEBHOOK_SECRET is required/);
    const c = loadWebhookServiceConfig({ MYSQL_URL: base.MYSQL_URL, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, TEMPORAL_CODEC: 'off' });
    assert.equal(c.webhook.port, 4242);
    assert.equal(c.temporal.address, 'localhost:7233');
  });
});

describe('npm run webhooks (src/webhooks/main.ts as a process)', function () {
  this.timeout(90_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let child: ChildProcess | undefined;

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
  });
  after(async () => {
    await env?.teardown();
    await s?.close();
  });
  beforeEach(() => s.reset());
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  function run(extraEnv: Record<string, string>): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
    let out = '';
    const proc = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/webhooks/main.ts'], {
      cwd: `${__dirname}/../..`,
      env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: s.stack.temporal.address, MYSQL_URL: s.stack.mysql.url, TEMPORAL_CODEC: 'off', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    child = proc;
    return { proc, output: () => out, exited };
  }

  async function waitForOutput(output: () => string, pattern: RegExp, ms = 30_000): Promise<void> {
    for (const until = Date.now() + ms; Date.now() < until;) {
      if (pattern.test(output())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`timed out waiting for ${String(pattern)}; output:\n${output()}`);
  }

  it('refuses to start without STRIPE_WEBHOOK_SECRET', async () => {
    const { output, exited } = run({});
    assert.equal(await exited, 2);
    assert.match(output(), /STRIPE_WEBHOOK_SECRET is required/);
  });

  it('listens, resumes stored unprocessed events, rejects unsigned posts, stops on SIGTERM, never prints the secret', async () => {
    const taskQueue = uniqueTaskQueue('webhooks-main');
    await storeStripeEvent(s.db, { id: 'evt_stored_before_start', type: 'payment_intent.succeeded', paymentIntentId: 'pi_x', payload: '{}', receivedAt: new Date() });
    const port = await findFreePort();
    const { proc, output, exited } = run({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, WEBHOOK_PORT: String(port), TASK_QUEUE: taskQueue });
    await waitForOutput(output, /resumed processing of 1 stored Stripe event/);
    assert.match(output(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}/stripe/webhook`));
    const described = await env.client.workflow.getHandle(stripeEventWorkflowId('evt_stored_before_start')).describe();
    assert.equal(described.taskQueue, taskQueue);

    const res = await post(`http://127.0.0.1:${port}/stripe/webhook`, '{"id":"evt_1"}', undefined);
    assert.equal(res.status, 400);
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!output().includes(WEBHOOK_SECRET));
    await env.client.workflow.getHandle(stripeEventWorkflowId('evt_stored_before_start')).terminate('test cleanup');
  });
});
