import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { Stack } from '../../dev/stack/stack';
import { REQUIRED_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attribute-check';
import { INVOICE_SEARCH_ATTRIBUTES, resolveTemporalCli, startTemporalServer, type TemporalServer } from '../../dev/stack/temporal-server';
import { getTestStack, STACK_START_TIMEOUT_MS } from '../support/stack';

describe('stack: Temporal and the simulator', function () {
  this.timeout(STACK_START_TIMEOUT_MS);
  let stack: Stack;

  before(async () => {
    stack = await getTestStack();
  });

  it('answers over gRPC and serves the default namespace', async () => {
    const connection = await Connection.connect({ address: stack.temporal.address });
    try {
      const { namespaces } = await connection.workflowService.listNamespaces({});
      assert.ok(namespaces.some((n) => n.namespaceInfo?.name === 'default'));
    } finally {
      await connection.close();
    }
  });

  it('registers the service\'s custom search attributes', async () => {
    const { stdout } = await promisify(execFile)(resolveTemporalCli(), [
      'operator', 'search-attribute', 'list', '--address', stack.temporal.address, '--output', 'json',
    ]);
    const listed = JSON.parse(stdout) as { customAttributes?: Record<string, string> };
    const registered = Object.fromEntries(Object.keys(INVOICE_SEARCH_ATTRIBUTES).map((name) => [name, listed.customAttributes?.[name]]));
    assert.deepEqual(registered, {
      InvoiceId: 'INDEXED_VALUE_TYPE_KEYWORD',
      ChargeRunFailed: 'INDEXED_VALUE_TYPE_INT',
      ChargeRunPaid: 'INDEXED_VALUE_TYPE_INT',
      ChargeRunRequiresAuth: 'INDEXED_VALUE_TYPE_INT',
      ChargeRunOutcomes: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
      ChargeRunPhase: 'INDEXED_VALUE_TYPE_KEYWORD',
      ChargeRunDryRun: 'INDEXED_VALUE_TYPE_BOOL',
    });
    // The dev servers register exactly what the workflows set (and the worker checks for).
    assert.deepEqual(Object.keys(INVOICE_SEARCH_ATTRIBUTES).sort(), REQUIRED_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
  });

  it('answers the temporal CLI', async () => {
    const { stdout } = await promisify(execFile)(resolveTemporalCli(), [
      'operator',
      'namespace',
      'list',
      '--address',
      stack.temporal.address,
    ]);
    assert.match(stdout, /\bdefault\b/);
  });

  it('exposes the env the worker and client read', () => {
    assert.equal(stack.env.TEMPORAL_ADDRESS, stack.temporal.address);
    assert.match(stack.env.MYSQL_URL, /^mysql:\/\/root@127\.0\.0\.1:\d+\/invoices$/);
    assert.equal(stack.env.STRIPE_SECRET_KEY, 'sk_test_simulator');
    assert.equal(stack.env.STRIPE_API_BASE, stack.stripe.url);
  });

  it('serves the Stripe simulator with the key in env', async () => {
    const response = await fetch(`${stack.env.STRIPE_API_BASE}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.env.STRIPE_SECRET_KEY}` },
    });
    assert.equal(response.status, 200);
    const customer = (await response.json()) as { id: string };
    assert.match(customer.id, /^cus_/);
  });

  describe('a server of its own', () => {
    let dataDir: string;
    let server: TemporalServer | undefined;

    before(() => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'temporal-restart-test-'));
    });
    after(async () => {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('keeps workflows across restart() (same port, same database file)', async () => {
      server = await startTemporalServer({
        dataDir,
        ui: false,
        dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 100 },
        searchAttributes: { DevStackTest: 'Keyword' },
      });
      const workflowId = `restart-test-${Date.now()}`;
      const client = async () => new Client({ connection: await Connection.connect({ address: server!.address }) });

      let c = await client();
      // No worker polls this queue: the run stays open, which is what must survive.
      await c.workflow.start('noSuchWorkflow', { taskQueue: 'no-worker-here', workflowId });
      await c.connection.close();

      const port = server.port;
      await server.restart();
      assert.equal(server.port, port);

      c = await client();
      try {
        const description = await c.workflow.getHandle(workflowId).describe();
        assert.equal(description.status.name, 'RUNNING');
        await c.workflow.getHandle(workflowId).terminate('test done');
      } finally {
        await c.connection.close();
      }
    });
  });
});
