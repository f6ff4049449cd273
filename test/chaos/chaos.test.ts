/**
 * The chaos suite: real Temporal dev server, MariaDB and Stripe simulator, two worker
 * processes, CHAOS_INVOICES invoices per scenario (default 300). After each scenario the money
 * invariants must hold: no double charge, no lost outcome, no stuck invoice. The table is
 * printed at the end. `npm run test:chaos` runs only this; `npm test` runs it too.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosHarness, type ScenarioReport } from '../../dev/chaos/harness';
import { SCENARIOS } from '../../dev/chaos/scenarios';
import { formatDetails, formatTable } from '../../dev/chaos/table';
import { WorkerProcess } from '../../dev/chaos/worker-process';
import { allHistories, databaseText, filesUnder, findSecretIn } from '../secrets/secret-scan';

const INVOICES = Number(process.env.CHAOS_INVOICES ?? 300);
/** Comma-separated parts of scenario names to run (default: all). */
const ONLY = process.env.CHAOS_SCENARIOS?.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.some((part) => s.name.toLowerCase().includes(part)));

describe(`chaos suite: ${INVOICES} invoices per scenario, worker processes, real services`, function () {
  this.timeout(10 * 60_000 + INVOICES * 300);
  let harness: ChaosHarness | undefined;
  const reports: ScenarioReport[] = [];
  const verbose = process.env.CHAOS_VERBOSE ? (line: string) => console.log(`      ${line}`) : undefined;

  before(async function () {
    this.timeout(5 * 60_000);
    assert.ok(Number.isInteger(INVOICES) && INVOICES >= 1, 'CHAOS_INVOICES must be a positive integer');
    harness = await ChaosHarness.start({ log: verbose });
  });

  after(async function () {
    this.timeout(3 * 60_000);
    if (reports.length > 0) console.log(`\n${formatTable(reports)}\n\n${formatDetails(reports)}\n`);
    await harness?.stop();
    harness?.removeData();
  });

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      assert.ok(harness, 'harness started');
      const report = await harness.runScenario(scenario, INVOICES);
      reports.push(report);
      const { doubleCharges, lostOutcomes, stuckInvoices, problems } = report.invariants;
      assert.deepEqual({ doubleCharges, lostOutcomes, stuckInvoices, problems }, { doubleCharges: 0, lostOutcomes: 0, stuckInvoices: 0, problems: [] });
      const simulatorFaults = Object.keys(report.faults).filter((k) => /^(500|429|reset|drop|slow)/.test(k));
      assert.ok(simulatorFaults.length > 0, 'faults were actually injected');
    });
  }

  it('looked unknown outcomes up by the customer\'s PaymentIntents, never by Search', () => {
    assert.ok(harness, 'harness started');
    const log = readFileSync(path.join(harness.dataDir, 'logs', 'stripe-simulator.log'), 'utf8');
    // Each worker start lists PaymentIntents once (its key check); every other list is a lookup.
    const lists = log.match(/^GET \/v1\/payment_intents -> /gm)?.length ?? 0;
    const keyChecks = harness.workers.reduce((n, w) => n + w.starts, 0);
    if (reports.some((r) => (r.faults['500'] ?? 0) > 0)) assert.ok(lists > keyChecks, 'the 500s were followed by lookups');
    assert.doesNotMatch(log, /\/v1\/payment_intents\/search/);
  });

  it('never shows the secret key: not in any workflow history, log line, error or database row', async () => {
    assert.ok(harness, 'harness started');
    const key = harness.secretKey;
    // A worker started with a rejected key stops before polling and says why, without the key.
    const wrongKey = `${key.slice(0, -6)}000000`;
    const refused = new WorkerProcess({
      name: 'worker-with-a-rejected-key',
      logFile: path.join(harness.dataDir, 'logs', 'worker-rejected-key.log'),
      env: { ...harness.stack.env, STRIPE_SECRET_KEY: wrongKey, TASK_QUEUE: 'chaos-rejected-key' },
      startAttempts: 1,
    });
    const startError = await refused.start().then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err)));
    await refused.stop();
    assert.ok(startError, 'a worker with a rejected key must not start');
    assert.match(startError, /rejected STRIPE_SECRET_KEY \(401\)/);

    const leaks: string[] = [];
    const search = (where: string, text: string) => {
      for (const secret of [key, wrongKey]) {
        const found = findSecretIn(text, secret);
        if (found) leaks.push(`${where}: ${found}`);
      }
    };
    const histories = await allHistories(harness.client);
    assert.ok(histories.length >= reports.length, 'histories fetched from the server');
    for (const h of histories) search(`history ${h.id}`, h.text);
    const logs = filesUnder(path.join(harness.dataDir, 'logs'));
    assert.ok(logs.some((l) => /worker-1\.log$/.test(l.file) && l.text.length > 0), 'worker output captured');
    for (const l of logs) search(l.file, l.text);
    for (const r of reports) for (const run of r.runs) search(`error of ${run.workflowId}`, run.error ?? '');
    search('startup error', startError);
    search('database', await databaseText(harness.db));
    assert.deepEqual(leaks, []);
  });
});
