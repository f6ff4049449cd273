/**
 * Admin endpoints under /_sim (no API key; the simulator is a loopback test tool). JSON in and out.
 *
 *   GET  /_sim/ledger                            succeeded charges
 *   GET  /_sim/requests                          every /v1 request: endpoint, customer, key, status, code, start/end times
 *   POST /_sim/reset                             clear data and counters (configuration stays)
 *   GET  /_sim/stats                             request / fault / replay counters
 *   GET  /_sim/config, POST /_sim/config         runtime configuration (POST body = partial config)
 *   POST /_sim/customers                         {paymentMethod?, email?, name?, metadata?} → {customerId, paymentMethodId?}
 *   GET  /_sim/events                            every event emitted (whether or not a webhook URL is set)
 *   GET  /_sim/webhooks                          webhook delivery attempts
 *   POST /_sim/clock/advance                     {ms} moves the simulator clock (idempotency retention, decline caps)
 *   POST /_sim/payment_intents/:id/authenticate  {outcome: 'succeed'|'fail'} completes a pending 3-D Secure
 *   POST /_sim/payment_intents/:id/settle        {outcome: 'succeed'|'fail'} settles a `processing` intent
 */
import type { ServerResponse } from 'node:http';
import type { SimulatorCore } from './simulator';
import type { CreateCustomerInput } from './types';

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function parseJson(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  const v: unknown = JSON.parse(raw);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('body must be a JSON object');
  return v as Record<string, unknown>;
}

function outcome(body: Record<string, unknown>): 'succeed' | 'fail' {
  const o = body.outcome ?? 'succeed';
  if (o !== 'succeed' && o !== 'fail') throw new Error("outcome must be 'succeed' or 'fail'");
  return o;
}

function customerInput(body: Record<string, unknown>): CreateCustomerInput {
  const input: CreateCustomerInput = {};
  for (const k of ['paymentMethod', 'email', 'name'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`${k} must be a string`);
    input[k] = v;
  }
  if (body.metadata !== undefined) {
    const m = body.metadata;
    if (typeof m !== 'object' || m === null || Object.values(m).some((v) => typeof v !== 'string')) {
      throw new Error('metadata must be an object of strings');
    }
    input.metadata = m as Record<string, string>;
  }
  return input;
}

export function handleAdmin(core: SimulatorCore, method: string, path: string, rawBody: string, res: ServerResponse): void {
  try {
    const body = method === 'POST' ? parseJson(rawBody) : {};
    const pi = /^\/_sim\/payment_intents\/([^/]+)\/(authenticate|settle)$/.exec(path);
    if (method === 'POST' && pi) {
      const id = decodeURIComponent(pi[1]);
      if (pi[2] === 'authenticate') core.completeAuthentication(id, outcome(body));
      else core.settleProcessing(id, outcome(body));
      return send(res, 200, core.store.paymentIntents.get(id)?.object ?? null);
    }
    switch (`${method} ${path}`) {
      case 'GET /_sim/ledger':
        return send(res, 200, core.ledger.list());
      case 'GET /_sim/requests':
        return send(res, 200, core.requestLog.list());
      case 'POST /_sim/reset':
        core.reset();
        return send(res, 200, { ok: true });
      case 'GET /_sim/stats':
        return send(res, 200, core.snapshotStats());
      case 'GET /_sim/config':
        return send(res, 200, core.snapshotConfig());
      case 'POST /_sim/config':
        core.configure(body);
        return send(res, 200, core.snapshotConfig());
      case 'POST /_sim/customers':
        return send(res, 200, core.createCustomer(customerInput(body)));
      case 'GET /_sim/events':
        return send(res, 200, core.webhooks.list());
      case 'POST /_sim/clock/advance': {
        const ms = body.ms;
        if (typeof ms !== 'number') throw new Error('ms must be a number');
        core.advanceClock(ms);
        return send(res, 200, { now: new Date(core.now()).toISOString() });
      }
      case 'GET /_sim/webhooks':
        return send(res, 200, core.webhooks.deliveryLog());
      default:
        return send(res, 404, { error: { message: `Unknown admin endpoint ${method} ${path}` } });
    }
  } catch (err) {
    send(res, 400, { error: { message: err instanceof Error ? err.message : String(err) } });
  }
}
