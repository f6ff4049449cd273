import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { findFreePort } from '../../dev/stack/ports';
import type { RunOutcomeStatus } from '../../src/billing/run-outcome';
import { chargePendingInvoices } from '../../src/workflows';
import { authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';
import { insertCustomer, insertInvoice, insertStripeCustomer } from '../support/fixtures';
import { startPrivatePrometheus, type PrivatePrometheus } from '../support/prometheus';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { testEnvironment, uniqueTaskQueue } from '../support/temporal';

const ROOT = path.resolve(__dirname, '../..');

/** Polls `check` until it returns a value, or fails with the last reason after `ms`. */
async function eventually<T>(ms: number, check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms${last instanceof Error ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('a real Prometheus scrapes the worker during a run (npm run worker with METRICS_PORT)', function () {
  this.timeout(180_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let worker: ChildProcess | undefined;
  let prometheus: PrivatePrometheus | undefined;
  let output = '';

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    await s.reset();
  });
  after(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker?.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await prometheus?.stop();
    await env?.teardown();
    await s?.close();
  });

  it('shows the run\'s outcome counters, amounts and the SDK\'s own metrics through the Prometheus HTTP API', async () => {
    const taskQueue = uniqueTaskQueue('prometheus');
    const [metricsPort, temporalMetricsPort] = [await findFreePort(), await findFreePort()];
    worker = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/worker.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '', ...s.stack.env, TASK_QUEUE: taskQueue,
        METRICS_PORT: String(metricsPort), TEMPORAL_METRICS_PORT: String(temporalMetricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    worker.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    prometheus = await startPrivatePrometheus([
      { job: 'invoice-charging', address: `127.0.0.1:${metricsPort}` },
      { job: 'invoice-charging-temporal', address: `127.0.0.1:${temporalMetricsPort}` },
    ]);
    const p = prometheus;
    await eventually(90_000, async () => (output.includes('worker polling task queue') ? true : undefined), `worker ready (output: ${output})`);
    assert.match(output, new RegExp(`metrics at http://127\\.0\\.0\\.1:${metricsPort}/metrics and http://127\\.0\\.0\\.1:${temporalMetricsPort}/metrics`));
    // Both targets are up in Prometheus before the run starts.
    await eventually(30_000, async () => {
      const up = await p.query('up');
      return up.length === 2 && up.every((u) => u.value === 1) ? true : undefined;
    }, 'both targets up');

    const visa = await insertStripeCustomer(s.db, s.stripe, 'pm_card_visa');
    await insertInvoice(s.db, { customerId: visa, amountCents: 4200 });
    await insertInvoice(s.db, { customerId: visa, amountCents: 1800, currency: 'eur' });
    await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_chargeDeclinedInsufficientFunds') });
    const threeDs = await insertInvoice(s.db, { customerId: await insertStripeCustomer(s.db, s.stripe, 'pm_card_authenticationRequired') });
    await insertInvoice(s.db, { customerId: await insertCustomer(s.db, { stripeCustomerId: null, stripePaymentMethodId: null }) });

    const summary = await env.client.workflow.execute(chargePendingInvoices, {
      taskQueue, workflowId: `${taskQueue}-run`, args: [{ asOf: new Date().toISOString() }],
    });
    const expected: Partial<Record<RunOutcomeStatus, number>> = Object.fromEntries(Object.entries(summary.totals).filter(([, n]) => n > 0));
    assert.deepEqual(expected, { paid: 2, failed: 1, requires_auth: 1, skipped: 1 });

    // The outcome counters, read back through Prometheus once it has scraped after the run.
    const byOutcome = await eventually(30_000, async () => {
      const rows = await p.query('sum by (outcome) (invoice_charges_total{job="invoice-charging"})');
      const got = Object.fromEntries(rows.map((r) => [r.metric.outcome, r.value]));
      const sorted = (o: object) => JSON.stringify(Object.entries(o).sort());
      return sorted(got) === sorted(expected) ? got : undefined;
    }, 'outcome counters matching the summary');
    assert.deepEqual(byOutcome, expected);

    const declines = await p.query('invoice_charges_total{outcome="failed"}');
    assert.deepEqual(declines.map((d) => [d.metric.currency, d.metric.decline_code]), [['usd', 'insufficient_funds']]);
    const amounts = await p.query('invoice_charged_amount_minor_total');
    assert.deepEqual(Object.fromEntries(amounts.map((a) => [a.metric.currency, a.value])), { usd: 4200, eur: 1800 });
    const scheduled = await p.query('sum(invoice_dunning_retries_scheduled_total)');
    assert.equal(scheduled[0]?.value, 1);
    const latency = await p.query('sum by (endpoint) (stripe_request_duration_seconds_count{method="post"})');
    assert.ok(latency.some((l) => l.metric.endpoint === '/v1/payment_intents' && l.value >= 4), JSON.stringify(latency));
    const waiting = await eventually(15_000, async () => {
      const rows = await p.query('invoice_authentication_follow_ups_open');
      return rows[0]?.value === 1 ? rows[0].value : undefined;
    }, 'the 3-D Secure invoice counted as waiting');
    assert.equal(waiting, 1);
    assert.equal((await p.query('invoice_charges_in_flight'))[0]?.value, 0);

    // The SDK's own runtime metrics, from its exporter on the second port, in Prometheus naming.
    const activities = await eventually(15_000, async () => {
      const rows = await p.query('sum by (activity_type) (temporal_activity_execution_latency_seconds_count{job="invoice-charging-temporal"})');
      return rows.some((r) => r.metric.activity_type === 'chargeInvoice') ? rows : undefined;
    }, 'temporal_activity_execution_latency_seconds_count for chargeInvoice');
    assert.ok((activities.find((r) => r.metric.activity_type === 'chargeInvoice')?.value ?? 0) >= 4);
    const sdkNames = new Set((await p.query('count by (__name__) ({job="invoice-charging-temporal"})')).map((r) => r.metric.__name__));
    for (const name of ['temporal_workflow_task_schedule_to_start_latency_seconds_bucket', 'temporal_worker_task_slots_available', 'temporal_worker_start_total']) {
      assert.ok(sdkNames.has(name), `${name} among ${[...sdkNames].sort().join(', ')}`);
    }

    await env.client.workflow.getHandle(authenticationFollowUpId(threeDs, 1)).terminate('test over').catch(() => undefined);
  });
});
