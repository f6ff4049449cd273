/**
 * The Temporal Web UI shows a run's payloads decoded through the codec server: a dev server whose
 * UI is started with `--ui-codec-endpoint`, an encrypting worker, and Debian's chromium driven
 * headless by playwright-core. Leaves a screenshot in test-output/web-ui-decoded.png.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { seedDemoData } from '../../dev/demo/demo-data';
import { findFreePort } from '../../dev/stack/ports';
import { startTemporalServer, type TemporalServer } from '../../dev/stack/temporal-server';
import { createActivities } from '../../src/activities';
import { temporalDataConverter } from '../../src/codec/data-converter';
import { EncryptionCodec } from '../../src/codec/encryption-codec';
import { startCodecServer, type CodecServer } from '../../src/codec/server';
import { chargePendingInvoices } from '../../src/workflows';
import { historyText } from '../secrets/secret-scan';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { encryptingWorkflowBundle, newKey, ring } from './codec-support';

export const SCREENSHOT = path.resolve(__dirname, '..', '..', 'test-output', 'web-ui-decoded.png');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('the Web UI shows payloads decoded by the codec server (headless chromium)', function () {
  this.timeout(STACK_START_TIMEOUT_MS + 180_000);
  const keyRing = ring(['k-ui', newKey()]);
  const dataConverter = temporalDataConverter({ mode: 'on', keyRing });
  let s: TestServices;
  let dataDir: string;
  let codecServer: CodecServer;
  let temporalServer: TemporalServer;
  let browser: Browser | undefined;

  before(async () => {
    s = await openTestServices();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'web-ui-codec-'));
    const uiPort = await findFreePort();
    codecServer = await startCodecServer({ codec: new EncryptionCodec(keyRing), corsOrigins: [`http://127.0.0.1:${uiPort}`], port: 0, host: '127.0.0.1' });
    temporalServer = await startTemporalServer({ dataDir, uiPort, uiCodecEndpoint: codecServer.url, dbFile: path.join(dataDir, 'temporal.db') });
  });
  after(async () => {
    await browser?.close();
    await temporalServer?.stop();
    await codecServer?.close();
    await s?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a charging run\'s result and activity summaries show decoded: PaymentIntent ids, amounts', async () => {
    await s.reset();
    await seedDemoData(s.db, s.stripe);
    const taskQueue = 'web-ui-codec';
    const workflowId = `web-ui-encrypted-run-${Date.now()}`;
    const workflowBundle = await encryptingWorkflowBundle(); // installs the quiet runtime before any connection
    const nativeConnection = await NativeConnection.connect({ address: temporalServer.address });
    const connection = await Connection.connect({ address: temporalServer.address });
    let summary;
    try {
      const worker = await Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowBundle,
        activities: createActivities({ db: s.db, stripe: s.stripe }),
        dataConverter,
      });
      const client = new Client({ connection, dataConverter });
      summary = await worker.runUntil(client.workflow.execute(chargePendingInvoices, { taskQueue, workflowId, args: [{}] }));
      // On the server: ciphertext only.
      const raw = historyText(await client.workflow.getHandle(workflowId).fetchHistory());
      const paid = summary.results.find((r) => r.status === 'paid')?.payment_intent_id;
      assert.ok(paid && !raw.includes(paid), 'the server holds no PaymentIntent id');
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
    const paymentIntentId = summary.results.find((r) => r.status === 'paid')?.payment_intent_id as string;

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1400 } });
    const decodeCalls: number[] = [];
    page.on('response', (res) => {
      if (res.url().startsWith(`${codecServer.url}/decode`)) decodeCalls.push(res.status());
    });
    await page.goto(`${temporalServer.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, { waitUntil: 'domcontentloaded' });
    // The result panel renders the decoded JSON: the paid invoice's PaymentIntent id.
    await page.getByText(paymentIntentId, { exact: false }).first().waitFor({ timeout: 60_000 });
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The result's JSON and the activities' summaries (user metadata, encrypted too) are shown decoded.
    const text = await page.locator('body').innerText();
    assert.match(text, /"amount_cents":\s*5000/);
    assert.match(text, /charge invoice \d+ · 50\.00 USD/);
    assert.ok(!text.includes('binary/encrypted'), 'no payload is shown still encrypted');
    assert.ok(decodeCalls.length > 0 && decodeCalls.every((status) => status === 200), `the UI called the codec server: ${decodeCalls.join(',')}`);
  });
});
