/**
 * Payload encryption end to end: a demo-like run (declines, a 3-D Secure follow-up settled by a
 * signed webhook) through a worker, a client and the webhook endpoint that all encrypt. The
 * histories fetched from the server hold no PaymentIntent id, amount or decline message in
 * cleartext; after a key rotation the old runs stay readable and replay; a worker without the
 * key says which key it needs; the codec server decodes what the worker wrote.
 */
import { strict as assert } from 'node:assert';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type DataConverter, type Payload } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { RowDataPacket } from 'mysql2/promise';
import { seedDemoData } from '../../dev/demo/demo-data';
import { createActivities } from '../../src/activities';
import { formatMoney } from '../../src/billing/money';
import { temporalDataConverter } from '../../src/codec/data-converter';
import { ENCODING_ENCRYPTED, EncryptionCodec, METADATA_ENCRYPTION_KEY_ID } from '../../src/codec/encryption-codec';
import type { KeyRing } from '../../src/codec/keys';
import { payloadFromJson, payloadToJson } from '../../src/codec/payload-json';
import { startCodecServer, type CodecServer } from '../../src/codec/server';
import { startWebhookServer, type WebhookServer } from '../../src/webhooks/server';
import { temporalStartProcessing } from '../../src/webhooks/start-processing';
import { chargePendingInvoices } from '../../src/workflows';
import type { ChargeRunSummary } from '../../src/workflows/charge-pending-invoices';
import { authenticationFollowUpId } from '../../src/workflows/authentication-follow-up';
import { historyText } from '../secrets/secret-scan';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { testEnvironment, uniqueTaskQueue } from '../support/temporal';
import { awaitProcessing, WEBHOOK_SECRET } from '../webhooks/helpers';
import { encryptingWorkflowBundle, metadataText, newKey, payloadsOf, ring } from './codec-support';

type History = temporal.api.history.v1.IHistory;

describe('encrypted payloads: worker, client, webhook endpoint, key rotation, codec server', function () {
  this.timeout(180_000);
  const oldKey = newKey();
  const newKeyBytes = newKey();
  const oldRing = ring(['k-2025', oldKey]);
  const rotatedRing = ring(['k-2026', newKeyBytes], ['k-2025', oldKey]);
  const taskQueue = uniqueTaskQueue('codec');
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let webhook: WebhookServer;
  const stops: Array<() => Promise<void>> = [];

  /** A worker with the real activities and this key ring; stopped by `after` or by the returned function. */
  async function startWorker(keyRing: KeyRing | undefined, queue = taskQueue): Promise<() => Promise<void>> {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: queue,
      workflowBundle: await encryptingWorkflowBundle(),
      activities: createActivities({ db: s.db, stripe: s.stripe }),
      dataConverter: temporalDataConverter(keyRing ? { mode: 'on', keyRing } : { mode: 'off' }),
    });
    const running = worker.run();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      worker.shutdown();
      await running;
    };
    stops.push(stop);
    return stop;
  }
  const clientWith = (keyRing: KeyRing): Client =>
    new Client({ connection: env.connection, namespace: 'default', dataConverter: temporalDataConverter({ mode: 'on', keyRing }) });

  let stopOldWorker: () => Promise<void>;
  let oldClient: Client;
  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    await s.reset();
    oldClient = clientWith(oldRing);
    stopOldWorker = await startWorker(oldRing);
    // The webhook endpoint starts its processing workflows through an encrypting client too.
    webhook = await startWebhookServer(
      { db: s.db, secret: WEBHOOK_SECRET, startProcessing: temporalStartProcessing(oldClient, taskQueue), clock: () => new Date(), log: () => undefined },
      { port: 0, host: '127.0.0.1' },
    );
    s.stack.stripe.configure({ webhook: { url: webhook.url, secret: WEBHOOK_SECRET, retryDelayMs: 100 } });
  });
  after(async () => {
    s?.stack.stripe.configure({ webhook: null });
    await webhook?.close();
    for (const stop of stops.reverse()) await stop();
    await env?.teardown();
    await s?.close();
  });

  /** Every run of the demo, as fetched from the server (raw: nothing decoded). */
  const histories = new Map<string, History>();
  let summary: ChargeRunSummary;
  let runId: string;
  const secrets: string[] = [];

  it('a demo-like run: no PaymentIntent id, amount or decline message in any history, every payload encrypted', async () => {
    // Follow-up ids are per invoice id and attempt, and the truncated tables restart ids at 1: a
    // follow-up another suite left open on this shared server would stand in for this run's own.
    const open = await env.client.workflowService.listWorkflowExecutions({
      namespace: 'default', query: `WorkflowType = 'authenticationFollowUp' AND ExecutionStatus = 'Running'`, pageSize: 1000,
    });
    for (const wf of open.executions) {
      await env.client.workflow.getHandle(wf.execution?.workflowId ?? '', wf.execution?.runId ?? undefined).terminate('left open by another suite');
    }
    const seeded = await seedDemoData(s.db, s.stripe);
    runId = `${taskQueue}-demo`;
    summary = await oldClient.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: runId, args: [{}], staticSummary: 'encrypted demo run' });
    // Decoded correctly on the way back: the demo's outcomes.
    assert.deepEqual(summary.totals, { paid: 4, requires_auth: 1, failed: 2, skipped: 1, processing: 0, would_charge: 0 });
    assert.equal(summary.results.length, seeded.expected.size);

    // The 3-D Secure invoice: the customer authenticates, the signed webhook settles it and the follow-up ends.
    const needsAuth = summary.results.find((r) => r.status === 'requires_auth');
    assert.ok(needsAuth?.payment_intent_id && needsAuth.attempt !== undefined);
    assert.equal((await s.stripe.paymentIntents.confirm(needsAuth.payment_intent_id)).status, 'requires_action');
    s.stack.stripe.completeAuthentication(needsAuth.payment_intent_id, 'succeed');
    await s.stack.stripe.flushWebhooks();
    const processed = await awaitProcessing({ client: oldClient } as unknown as TestWorkflowEnvironment, s.db);
    assert.ok(processed.size >= 1, 'the webhook started processing workflows');
    const followUpId = authenticationFollowUpId(needsAuth.invoice_id, needsAuth.attempt);
    assert.deepEqual(await oldClient.workflow.getHandle(followUpId).result(), { outcome: 'settled', reminders: 0 });

    // What must not be readable: from the summary and the database.
    const [rows] = await s.db.query<RowDataPacket[]>(
      'SELECT stripe_payment_intent_id AS pi, failure_message AS msg FROM invoice UNION ALL SELECT stripe_payment_intent_id, failure_message FROM payment_attempt',
    );
    for (const r of summary.results) {
      if (r.payment_intent_id) secrets.push(r.payment_intent_id);
      if (r.error) secrets.push(r.error);
      if (r.amount_cents !== undefined && r.currency) secrets.push(`"amount_cents":${r.amount_cents}`, formatMoney(r.amount_cents, r.currency));
    }
    for (const r of rows) for (const v of [r.pi, r.msg]) if (typeof v === 'string' && v) secrets.push(v);
    secrets.push('payment_intent_id', 'amount_cents', 'amountCents', 'Your card');
    assert.ok(secrets.some((x) => x.startsWith('pi_')) && secrets.some((x) => /declined|insufficient/i.test(x)), 'the run produced PaymentIntents and declines');

    // Every workflow on the task queue: the run, its 3-D Secure follow-up, the webhook's processing.
    const ids: string[] = [];
    // Listing decodes memos, encrypted too: the encrypting client lists.
    for await (const wf of oldClient.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) ids.push(wf.workflowId);
    assert.ok(ids.includes(runId) && ids.includes(followUpId), `run and follow-up listed: ${ids.join(', ')}`);
    assert.ok(ids.some((id) => id.startsWith('stripe-event-evt_')), 'the webhook processing workflow is listed');
    for (const id of ids) histories.set(id, await env.client.workflow.getHandle(id).fetchHistory());

    const cleartext: string[] = [];
    let encrypted = 0;
    for (const [id, history] of histories) {
      const text = historyText(history);
      for (const secret of new Set(secrets)) if (text.includes(secret)) cleartext.push(`${id}: ${secret}`);
      for (const { path, payload } of payloadsOf(history)) {
        if (metadataText(payload, 'encoding') !== ENCODING_ENCRYPTED) cleartext.push(`${id} ${path}: encoding ${metadataText(payload, 'encoding')}`);
        else if (metadataText(payload, METADATA_ENCRYPTION_KEY_ID) !== 'k-2025') cleartext.push(`${id} ${path}: key ${metadataText(payload, METADATA_ENCRYPTION_KEY_ID)}`);
        else encrypted += 1;
      }
    }
    assert.deepEqual(cleartext, []);
    assert.ok(encrypted > 30, `encrypted payloads found: ${encrypted}`);

    // Not vacuous: decoded with the key, the same histories do hold what was looked for.
    const codec = new EncryptionCodec(oldRing);
    const decoded = (await Promise.all([...histories.values()].map(async (h) => (await codec.decode(payloadsOf(h).map((p) => p.payload))).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n')))).join('\n');
    for (const secret of [needsAuth.payment_intent_id, '"amount_cents":5000', 'Your card']) assert.ok(decoded.includes(secret), `decoded histories contain ${secret}`);
  });

  it('failure messages and stack traces are encoded and encrypted too (encodeCommonAttributes)', async () => {
    const converter = loadDataConverter(temporalDataConverter({ mode: 'on', keyRing: oldRing }));
    const failure = await encodeErrorToFailure(converter, ApplicationFailure.nonRetryable('Your card was declined for pi_3SecretIntent', 'CardDeclined'));
    assert.equal(failure.message, 'Encoded failure');
    assert.equal(failure.stackTrace, '');
    assert.equal(metadataText(failure.encodedAttributes as Payload, 'encoding'), ENCODING_ENCRYPTED);
    assert.ok(!historyText(failure).includes('pi_3SecretIntent'));
    const back = await decodeOptionalFailureToOptionalError(converter, failure);
    assert.ok(back instanceof ApplicationFailure);
    assert.equal(back.message, 'Your card was declined for pi_3SecretIntent');
  });

  it('after a key rotation old runs stay readable and replayable; new payloads use the new key', async () => {
    assert.ok(histories.size > 0, 'the first test recorded the histories');
    await stopOldWorker();
    await startWorker(rotatedRing);
    const rotatedClient = clientWith(rotatedRing);

    // The old run's result, input and memo are read with the retired key, now second in the ring.
    const oldRun = rotatedClient.workflow.getHandle<typeof chargePendingInvoices>(runId);
    assert.deepEqual(await oldRun.result(), summary);
    const description = await oldRun.describe();
    assert.deepEqual((description.memo as { amounts?: unknown } | undefined)?.amounts, summary.amounts);

    // Every history of the old run replays with the rotated ring (no non-determinism, all payloads decode).
    const rotated: DataConverter = temporalDataConverter({ mode: 'on', keyRing: rotatedRing });
    for (const [id, history] of histories) {
      await Worker.runReplayHistory({ workflowBundle: await encryptingWorkflowBundle(), dataConverter: rotated }, history, id);
    }

    // A new run through the rotated worker is encrypted with the new key only.
    const again = await rotatedClient.workflow.execute(chargePendingInvoices, { taskQueue, workflowId: `${runId}-after-rotation`, args: [{}] });
    assert.deepEqual(again.results.map((r) => r.status), ['skipped']);
    const keyIds = new Set(payloadsOf(await rotatedClient.workflow.getHandle(`${runId}-after-rotation`).fetchHistory()).map(({ payload }) => metadataText(payload, METADATA_ENCRYPTION_KEY_ID)));
    assert.deepEqual([...keyIds], ['k-2026']);

    // Once the old key is dropped, replaying an old history names the key that is missing.
    const newOnly = temporalDataConverter({ mode: 'on', keyRing: ring(['k-2026', newKeyBytes]) });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: await encryptingWorkflowBundle(), dataConverter: newOnly }, histories.get(runId), runId),
      // (the replay error quotes the failure in Rust's debug format, quotes escaped)
      /encrypted with key \\?"k-2025\\?", which is not in this process's key ring \(\\?"k-2026\\?"\)/,
    );
  });

  it('a worker without the payload\'s key fails the workflow task with an error naming the key to add', async () => {
    const queue = uniqueTaskQueue('codec-nokey');
    const otherRing = ring(['k-other', newKey()]);
    await startWorker(otherRing, queue);
    const handle: WorkflowHandle = await oldClient.workflow.start(chargePendingInvoices, { taskQueue: queue, workflowId: queue, args: [{ dryRun: true }] });
    try {
      // Readable in the history without any key: the message holds key ids only.
      const failure = await workflowTaskFailure(handle);
      assert.match(String(failure.message), /payload is encrypted with key "k-2025", which is not in this process's key ring \("k-other"\): add key "k-2025" to TEMPORAL_CODEC_KEYS/);
    } finally {
      await handle.terminate('test done');
    }
    // A worker with encryption off says the same, and how to turn it on.
    const plainQueue = uniqueTaskQueue('codec-off');
    await startWorker(undefined, plainQueue);
    const plain = await oldClient.workflow.start(chargePendingInvoices, { taskQueue: plainQueue, workflowId: plainQueue, args: [{ dryRun: true }] });
    try {
      assert.match(String((await workflowTaskFailure(plain)).message), /encrypted with key "k-2025", but payload encryption is off here \(TEMPORAL_CODEC=off\): configure the key ring/);
    } finally {
      await plain.terminate('test done');
    }
  });

  describe('the codec server', () => {
    let server: CodecServer;
    const origin = 'http://127.0.0.1:8233';
    const token = 'codec-server-token-0123456789';
    before(async () => {
      server = await startCodecServer({ codec: new EncryptionCodec(rotatedRing), corsOrigins: [origin], token, port: 0, host: '127.0.0.1' });
    });
    after(() => server?.close());

    const call = (path: string, payloads: Payload[], headers: Record<string, string> = { Authorization: `Bearer ${token}` }) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers },
        body: JSON.stringify({ payloads: payloads.map(payloadToJson) }),
      });

    it('decodes what the worker wrote, under the old and the new key, as the SDK does', async () => {
      const written = [...payloadsOf(histories.get(runId)), ...payloadsOf(await env.client.workflow.getHandle(`${runId}-after-rotation`).fetchHistory())].map((p) => p.payload);
      assert.deepEqual(new Set(written.map((p) => metadataText(p, METADATA_ENCRYPTION_KEY_ID))), new Set(['k-2025', 'k-2026']));
      const res = await call('/decode', written);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { payloads: unknown[] };
      const viaServer = body.payloads.map(payloadFromJson);
      assert.deepEqual(viaServer.map((p) => Buffer.from(p.data ?? [])), (await new EncryptionCodec(rotatedRing).decode(written)).map((p) => Buffer.from(p.data ?? [])));
      const text = viaServer.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
      const pi = summary.results.find((r) => r.payment_intent_id)?.payment_intent_id;
      assert.ok(pi && text.includes(pi), 'the decoded run shows its PaymentIntent ids');
      assert.ok(viaServer.every((p) => metadataText(p, 'encoding') !== ENCODING_ENCRYPTED));
    });

    it('encodes with the active key; refuses a missing or wrong token; answers CORS only for the Web UI origin; names a missing key', async () => {
      const plain: Payload = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"a":1}') };
      const encoded = ((await (await call('/encode', [plain])).json()) as { payloads: unknown[] }).payloads.map(payloadFromJson);
      assert.equal(metadataText(encoded[0], METADATA_ENCRYPTION_KEY_ID), 'k-2026');
      assert.deepEqual(Buffer.from((await new EncryptionCodec(rotatedRing).decode(encoded))[0].data ?? []).toString(), '{"a":1}');

      assert.equal((await call('/decode', encoded, {})).status, 401);
      assert.equal((await call('/decode', encoded, { Authorization: 'Bearer wrong-token-wrong-token!' })).status, 401);

      const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
      assert.match(String(preflight.headers.get('access-control-allow-headers')), /X-Namespace/);
      const foreign = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' } });
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);

      const stranger = await new EncryptionCodec(ring(['k-unknown', newKey()])).encode([plain]);
      const missing = await call('/decode', stranger);
      assert.equal(missing.status, 422);
      assert.match(((await missing.json()) as { error: string }).error, /encrypted with key "k-unknown", which is not in this process's key ring/);
    });
  });
});

/** Polls the history until the first WorkflowTaskFailed event, and returns its failure. */
async function workflowTaskFailure(handle: WorkflowHandle): Promise<temporal.api.failure.v1.IFailure> {
  for (let i = 0; i < 100; i += 1) {
    const history = await handle.fetchHistory();
    const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure;
    if (failed) return failed;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('no workflow task failed');
}
