/**
 * The service on a production-shaped Temporal: the server built from source running as separate
 * frontend, history, matching and worker processes on PostgreSQL, mutual TLS required
 * (dev/cluster). The demo data set end to end, the temporal CLI through mTLS, a worker without
 * a client certificate refused, and chaos on the cluster's own parts with two worker processes
 * under the chaos suite's invariants. `npm run test:cluster`; not part of `npm test`.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, type Connection } from '@temporalio/client';
import { ChaosHarness, CHAOS_TASK_QUEUE, type ScenarioReport } from '../../dev/chaos/harness';
import { formatDetails, formatTable } from '../../dev/chaos/table';
import { WorkerProcess } from '../../dev/chaos/worker-process';
import { clusterScenarios } from '../../dev/cluster/chaos-scenarios';
import { CLUSTER_SERVICES } from '../../dev/cluster/cluster';
import { startClusterStack, type ClusterStack } from '../../dev/cluster/stack';
import { seedDemoData } from '../../dev/demo/demo-data';
import { emptyTables } from '../../dev/stack/empty-tables';
import { resolveTemporalCli } from '../../dev/stack/tools';
import { createPool, type Pool } from '../../src/db/pool';
import { connectClientConnection, connectWorkerConnection, loadTemporalConnectionSettings } from '../../src/temporal/connection';
import { createStripeClient } from '../../src/stripe/client';
import { chargePendingInvoices } from '../../src/workflows';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';

const execFileAsync = promisify(execFile);
const INVOICES = Number(process.env.CLUSTER_CHAOS_INVOICES ?? 100);
const E2E_QUEUE = 'invoice-charging-cluster-e2e';

describe('on a Temporal cluster: separate services, PostgreSQL, mutual TLS', function () {
  this.timeout(10 * 60_000);
  let stack: ClusterStack;
  let dataDir: string;
  let db: Pool;
  let connection: Connection;
  let client: Client;
  let worker: WorkerProcess;

  before(async function () {
    // The first run on a machine builds the server from source (minutes); later ones reuse it.
    this.timeout(40 * 60_000);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'invoice-cluster-'));
    chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its data dir
    stack = await startClusterStack({
      dataDir,
      chargingTaskQueues: [E2E_QUEUE, CHAOS_TASK_QUEUE],
      stripe: { rateLimitPerSecond: 60, seed: 20_260_115 },
      log: process.env.CLUSTER_VERBOSE ? (m) => console.log(`      ${m}`) : undefined,
    });
    db = createPool(stack.mysql.url, { connectionLimit: 4 });
    connection = await connectClientConnection(loadTemporalConnectionSettings({ address: stack.cluster.address, namespace: 'default' }, stack.env));
    client = new Client({ connection, namespace: stack.cluster.namespace });
    worker = new WorkerProcess({ name: 'cluster-e2e-worker', logFile: path.join(dataDir, 'logs', 'worker-e2e.log'), env: { ...stack.env, TASK_QUEUE: E2E_QUEUE } });
    await worker.start();
  });

  after(async function () {
    this.timeout(3 * 60_000);
    await worker?.stop();
    await connection?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await stack?.stop();
    if (dataDir && !process.env.KEEP_CLUSTER_DATA) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs frontend, history, matching and worker as separate server processes', () => {
    const pids = CLUSTER_SERVICES.map((s) => stack.cluster.services[s].pid);
    assert.equal(new Set(pids).size, 4);
    assert.ok(pids.every((p) => p > 0 && stack.cluster.services.frontend.running));
  });

  it('refuses a worker without the client certificate with a message that names the settings', async () => {
    const noCert = Object.fromEntries(Object.entries(stack.env).filter(([k]) => !/^TEMPORAL_TLS_CLIENT_(CERT|KEY)_PATH$/.test(k)));
    const refused = new WorkerProcess({ name: 'worker-without-client-cert', logFile: path.join(dataDir, 'logs', 'worker-no-cert.log'), env: { ...noCert, TASK_QUEUE: E2E_QUEUE }, startAttempts: 1 });
    const message = await refused.start().then(() => 'started', (err: unknown) => (err instanceof Error ? err.message : String(err)));
    await refused.stop();
    assert.match(message, /refused the TLS connection and no client certificate is configured/);
    assert.match(message, /set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    // Plaintext against the TLS frontend is told to turn TLS on.
    const plain = await connectWorkerConnection(loadTemporalConnectionSettings({ address: stack.cluster.address, namespace: 'default' }, { TEMPORAL_ADDRESS: stack.cluster.address }))
      .then(async (c) => { await c.close(); return 'connected'; }, (err: unknown) => (err instanceof Error ? err.message : String(err)));
    assert.match(plain, /TEMPORAL_TLS=true/);
  });

  it('charges the demo data set end to end, each paid invoice exactly once', async () => {
    await emptyTables(db);
    stack.stripe.reset();
    const seeded = await seedDemoData(db, stripeApi());
    const summary = await client.workflow.execute(chargePendingInvoices, { taskQueue: E2E_QUEUE, workflowId: `cluster-demo-${Date.now()}`, args: [{}] });
    assert.deepEqual(new Map(summary.results.map((r) => [r.invoice_id, r.status])), seeded.expected);
    assert.deepEqual(summary.totals, { paid: 4, requires_auth: 1, failed: 2, skipped: 1, processing: 0, would_charge: 0 });
    for (const [invoiceId, status] of seeded.expected) {
      const charges = stack.stripe.ledger().filter((e) => e.metadata.invoice_id === String(invoiceId));
      assert.equal(charges.length, status === 'paid' ? 1 : 0, `charges for invoice ${invoiceId}`);
    }
  });

  it('starts a run from the temporal CLI with no input, through mutual TLS', async () => {
    await emptyTables(db);
    stack.stripe.reset();
    await seedDemoData(db, stripeApi());
    const cli = resolveTemporalCli();
    const workflowId = `cluster-cli-${Date.now()}`;
    await execFileAsync(cli, ['workflow', 'start', ...stack.cluster.cliArgs, '--type', 'chargePendingInvoices', '--task-queue', E2E_QUEUE, '--workflow-id', workflowId]);
    const { stdout } = await execFileAsync(cli, ['workflow', 'result', ...stack.cluster.cliArgs, '--workflow-id', workflowId, '--output', 'json']);
    const parsed = JSON.parse(stdout) as { result?: ChargeRunSummary };
    const summary = parsed.result ?? (parsed as unknown as ChargeRunSummary);
    assert.deepEqual(summary.totals, { paid: 4, requires_auth: 1, failed: 2, skipped: 1, processing: 0, would_charge: 0 });
    // Without the client certificate the CLI is refused too.
    const noCert = stack.cluster.cliArgs.filter((a, i, all) => !/^--tls-(cert|key)-path$/.test(a) && !/^--tls-(cert|key)-path$/.test(all[i - 1] ?? ''));
    await assert.rejects(execFileAsync(cli, ['workflow', 'list', ...noCert, '--limit', '1']));
  });

  describe(`chaos on the cluster's parts: ${INVOICES} invoices per scenario, two worker processes`, function () {
    this.timeout(15 * 60_000 + INVOICES * 600);
    let harness: ChaosHarness | undefined;
    const reports: ScenarioReport[] = [];

    before(async function () {
      this.timeout(5 * 60_000);
      await worker.stop(); // the e2e worker is on another queue: free the CPU for the chaos workers
      harness = await ChaosHarness.start({
        stack: {
          temporal: { address: stack.cluster.address, namespace: stack.cluster.namespace, restart: async () => undefined },
          mysql: stack.mysql,
          stripe: stack.stripe,
          env: stack.env,
          stop: () => stack.stop(),
        },
        log: process.env.CLUSTER_VERBOSE ? (line) => console.log(`      ${line}`) : undefined,
      });
    });

    after(async function () {
      this.timeout(3 * 60_000);
      if (reports.length > 0) console.log(`\n${formatTable(reports)}\n\n${formatDetails(reports)}\n`);
      await harness?.stop();
    });

    for (const scenario of clusterScenarios(lazyCluster())) {
      it(scenario.name, async () => {
        assert.ok(harness, 'harness started');
        const report = await harness.runScenario(scenario, INVOICES);
        reports.push(report);
        const { doubleCharges, lostOutcomes, stuckInvoices, problems } = report.invariants;
        assert.deepEqual({ doubleCharges, lostOutcomes, stuckInvoices, problems }, { doubleCharges: 0, lostOutcomes: 0, stuckInvoices: 0, problems: [] });
        const processFaults = Object.keys(report.faults).filter((k) => /SIGKILL|restart/.test(k));
        assert.ok(processFaults.length > 0, 'the cluster fault was actually injected');
      });
    }
  });

  function stripeApi() {
    return createStripeClient(Object.assign({ apiBase: new URL(stack.stripe.url), timeoutMs: 5_000 }, { secretKey: stack.env.STRIPE_SECRET_KEY }));
  }

  /** Scenarios are declared before `before` runs: they reach the cluster through this. */
  function lazyCluster(): Parameters<typeof clusterScenarios>[0] {
    return new Proxy({} as Parameters<typeof clusterScenarios>[0], { get: (_t, key) => Reflect.get(stack.cluster, key) as unknown });
  }
});
