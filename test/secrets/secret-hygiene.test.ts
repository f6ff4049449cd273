/**
 * The Stripe secret key never shows: a real worker process (`tsx src/worker.ts`) charges a batch
 * with declines and Stripe faults, and afterwards the key is in no workflow history on the server,
 * no line the worker printed, no service log, no error and no database row. Keys the worker must
 * refuse (live without opt-in, publishable, rejected by Stripe) stop it with a message that
 * names the problem, never the key.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkerProcess } from '../../dev/chaos/worker-process';
import { chargePendingInvoices } from '../../src/workflows';
import { insertInvoice } from '../support/fixtures';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { testEnvironment, uniqueTaskQueue } from '../support/temporal';
import { cardCustomer } from '../bad-input/rows';
import { allHistories, databaseText, filesUnder, findSecretIn } from './secret-scan';

describe('the secret key never shows (worker process, histories, logs, errors, database)', function () {
  this.timeout(240_000);
  let s: TestServices;
  let logDir: string;
  const printed: string[] = [];

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    logDir = mkdtempSync(path.join(os.tmpdir(), 'secret-hygiene-'));
    await s.reset();
  });
  after(async () => {
    await s?.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  /** A worker process with `env` on top of the stack's; resolves with its error if it refuses to start. */
  async function startWorker(name: string, env: Record<string, string>): Promise<{ worker: WorkerProcess; refusal?: string }> {
    const worker = new WorkerProcess({ name, logFile: path.join(logDir, `${name}.log`), env: { ...s.stack.env, ...env }, startAttempts: 1 });
    const refusal = await worker.start().then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err)));
    if (refusal !== undefined) printed.push(refusal);
    return { worker, refusal };
  }

  const refusals: Array<[string, string, RegExp]> = [
    ['a live secret key without opt-in', 'sk_live_51HiddenLiveKeyValue', /live-mode key; set STRIPE_ALLOW_LIVE_KEY=true/],
    ['a live restricted key without opt-in', 'rk_live_51HiddenRestrictedValue', /live-mode key; set STRIPE_ALLOW_LIVE_KEY=true/],
    ['a publishable key', 'pk_test_51HiddenPublishableValue', /publishable key/],
    ['a key Stripe rejects', 'sk_test_rejectedBySimulator42', /rejected STRIPE_SECRET_KEY \(401\)/],
  ];
  for (const [what, key, message] of refusals) {
    it(`a worker given ${what} refuses to start, says why, and never prints the key`, async () => {
      const { worker, refusal } = await startWorker(`refuses-${key.slice(0, 7)}`, { STRIPE_SECRET_KEY: key, TASK_QUEUE: uniqueTaskQueue('refused') });
      await worker.stop();
      assert.ok(refusal, 'the worker must not start');
      assert.match(refusal, message);
      assert.equal(findSecretIn(worker.log(), key), undefined, 'the key was printed');
    });
  }

  it('after a run with declines and Stripe faults, the key is in no history, log line, error or row', async () => {
    await s.reset();
    const key = s.stack.env.STRIPE_SECRET_KEY;
    const taskQueue = uniqueTaskQueue('hygiene');
    for (const method of ['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired', 'pm_card_visa']) {
      await insertInvoice(s.db, { customerId: (await cardCustomer({ db: s.db, sim: s.stack.stripe }, method)).id });
    }
    const { worker, refusal } = await startWorker('hygiene', { TASK_QUEUE: taskQueue, STRIPE_TIMEOUT_MS: '2000' });
    assert.equal(refusal, undefined);
    const env = await testEnvironment(s.stack);
    try {
      s.stack.stripe.configure({ faults: { next: ['error500', 'dropAfterCommit', 'resetBefore', 'rateLimit429'] } });
      const summary = await env.client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: taskQueue, args: [{ concurrency: 1 }] });
      assert.equal(summary.processed, 4);
      printed.push(JSON.stringify(summary));
    } finally {
      await worker.stop();
    }
    assert.match(worker.log(), /invoice \d+ (paid|failed)/, 'the worker\'s activity log lines were captured');

    const leaks: string[] = [];
    const search = (where: string, text: string) => {
      for (const secret of [key, ...refusals.map(([, k]) => k)]) {
        const found = findSecretIn(text, secret);
        if (found) leaks.push(`${where}: ${found}`);
      }
    };
    for (const h of await allHistories(env.client)) search(`history ${h.id}`, h.text);
    for (const f of [...filesUnder(logDir), ...filesUnder(s.stack.logDir)]) search(f.file, f.text);
    printed.forEach((text, i) => search(`message ${i}`, text));
    search('database', await databaseText(s.db));
    await env.teardown();
    assert.deepEqual(leaks, []);
  });
});
