/**
 * One /v1 request, in Stripe's order: authenticate → route → (fault draw) → rate limit (global,
 * then endpoint) → idempotency → customer lock → latency → execute → store → respond. Faults hook in where their real-world
 * counterpart would happen (see types.ts FaultKind).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from './auth';
import type { ApiRequest } from './context';
import { ApiError, apiError500, lockTimeoutError, rateLimitError, requestLogUrl, type StripeErrorBody } from './errors';
import { drawFault } from './faults';
import { canonicalParams, parseForm } from './form';
import { inUseError, keyLengthError, mismatchError, type IdempotencyEntry, type StoredResponse } from './idempotency';
import { drawLatency } from './latency';
import { nowUnix } from './objects';
import { keyMode } from './rate-limit';
import { preciseNow } from './request-log';
import { stripeId } from './random';
import { route } from './routes';
import type { SimulatorCore } from './simulator';
import type { FaultKind } from './types';
import { API_VERSION } from './webhooks';

/** Timers of held (slowResponse) answers, so close() can cancel them. */
export type HeldTimers = Set<NodeJS.Timeout>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sortedKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/** Stripe's error envelope; keys sorted as Stripe prints them. 401/403 carry no request log. */
function errorBody(err: ApiError, requestId: string): string {
  const body: StripeErrorBody =
    err.status === 401 || err.status === 403 ? err.body : { ...err.body, request_log_url: requestLogUrl(requestId, nowUnix()) };
  return JSON.stringify({ error: sortedKeys(body) }, null, 2);
}

/** The `customer` a request names (form body or query), for the request log. */
function customerParam(method: string, rawBody: string, url: URL): string | null {
  try {
    const v = parseForm(method === 'POST' ? rawBody : url.searchParams).customer;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export async function handleApiRequest(
  core: SimulatorCore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  rawBody: string,
  held: HeldTimers,
): Promise<void> {
  const started = performance.now();
  const startedAt = preciseNow();
  const method = req.method ?? 'GET';
  const path = url.pathname;
  /** What the request log records beyond status and times (request-log.ts). */
  const trace: { endpoint: string; customer: string | null; code: string | null } = { endpoint: `${method} ${path}`, customer: null, code: null };
  const requestId = stripeId('req', 14);
  const idemKey = method === 'POST' ? header(req, 'idempotency-key') : undefined;
  const stats = core.stats;
  stats.requests++;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Request-Id': requestId,
    'Stripe-Version': header(req, 'stripe-version') ?? API_VERSION,
    'Cache-Control': 'no-cache, no-store',
  };
  if (idemKey !== undefined) headers['Idempotency-Key'] = idemKey;

  let fault: FaultKind = 'none';
  let entry: IdempotencyEntry | undefined;
  const note: string[] = [];

  const log = (status: number | string) => {
    core.requestLog.add({
      requestId, method, endpoint: trace.endpoint, customer: trace.customer ?? customerParam(method, rawBody, url),
      idempotencyKey: idemKey ?? null, status: typeof status === 'number' ? status : null, code: trace.code,
      startedAt, endedAt: preciseNow(),
    });
    const ms = Math.round(performance.now() - started);
    core.log(`${method} ${path} -> ${status} ${ms}ms ${requestId}${note.length ? ` [${note.join(', ')}]` : ''}`);
  };
  const destroy = (kind: FaultKind) => {
    stats.faults[kind]++;
    note.push(kind);
    log('socket destroyed');
    req.socket.destroy();
  };
  const write = (status: number, body: string, extra: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded) return log(`${status} (client gone)`);
    stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
    res.writeHead(status, { ...headers, ...extra, 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
    log(status);
  };
  /** dropAfterCommit / slowResponse act on the transport, after the request was processed. */
  const deliver = (status: number, body: string, extra: Record<string, string> = {}) => {
    if (fault === 'dropAfterCommit') return destroy('dropAfterCommit');
    if (fault === 'slowResponse') {
      stats.faults.slowResponse++;
      note.push('slowResponse');
      const heldEntry = entry;
      const timer = setTimeout(() => {
        held.delete(timer);
        if (heldEntry) core.idempotency.release(heldEntry);
        write(status, body, extra);
      }, core.slowResponseMs());
      held.add(timer);
      return;
    }
    write(status, body, extra);
  };

  try {
    const apiKey = authenticate(req.headers, core.apiKeys, core.restrictedKeys);
    const routed = route(method, path);
    const { endpoint, handler } = routed;
    trace.endpoint = endpoint;
    stats.requestsByEndpoint[endpoint] = (stats.requestsByEndpoint[endpoint] ?? 0) + 1;
    const count429 = (code: 'rate_limit' | 'lock_timeout') => {
      const byCode = (stats.rateLimitedByEndpoint[endpoint] ??= {});
      byCode[code] = (byCode[code] ?? 0) + 1;
    };
    fault = drawFault(core.config.faults, method, path, core.prng);
    if (fault === 'resetBefore') return destroy('resetBefore');
    // Rate limiting runs before the idempotency layer, so a 429 is never stored.
    if (fault === 'rateLimit429') {
      stats.faults.rateLimit429++;
      note.push('rateLimit429');
      stats.rateLimited++;
      stats.rateLimitedByScope.fault++;
      count429('rate_limit');
      throw rateLimitError();
    }
    const verdict = core.limiter.tryTake(keyMode(apiKey), endpoint);
    if (!verdict.ok) {
      stats.rateLimited++;
      stats.rateLimitedByScope[verdict.scope]++;
      count429('rate_limit');
      note.push(`rate limit (${verdict.scope})`);
      const retryAfter = core.config.rateLimits.sendRetryAfter && core.config.rateLimitPerSecond === null;
      throw rateLimitError(retryAfter ? { 'Retry-After': String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))) } : {});
    }
    const params = parseForm(method === 'POST' ? rawBody : url.searchParams);

    if (idemKey !== undefined) {
      const tooLong = keyLengthError(idemKey);
      if (tooLong) throw tooLong;
      const fingerprint = `${method} ${path}\n${canonicalParams(params)}`;
      const found = core.idempotency.begin(apiKey, idemKey, fingerprint, requestId);
      if (found.kind === 'mismatch') {
        stats.idempotencyMismatches++;
        throw mismatchError(idemKey);
      }
      if (found.kind === 'in_use') {
        stats.idempotencyConflicts++;
        throw inUseError(idemKey);
      }
      if (found.kind === 'replay') {
        stats.replays++;
        note.push('replayed');
        const { response } = found.entry;
        if (fault === 'error500') fault = 'none'; // the idempotency layer answers before the endpoint runs
        return deliver(response.status, response.body, {
          ...response.headers,
          'Idempotent-Replayed': 'true',
          'Original-Request': found.entry.originalRequestId,
        });
      }
      entry = found.entry;
      headers['Original-Request'] = requestId;
    }

    // Writes lock the customer they involve for as long as they run (latency included).
    const lockedCustomer = method === 'POST' ? routed.lockedCustomer(core.services, params) : null;
    trace.customer = lockedCustomer;
    if (lockedCustomer !== null && core.beginCustomerWrite(lockedCustomer) && core.drawLockTimeout()) {
      core.endCustomerWrite(lockedCustomer);
      stats.lockTimeouts++;
      count429('lock_timeout');
      note.push('lock_timeout');
      throw lockTimeoutError();
    }

    let stored: StoredResponse;
    try {
      const delay = drawLatency(core.config.latency, core.prng);
      if (delay > 0) await sleep(delay);

      const apiReq: ApiRequest = {
        method,
        path,
        params,
        requestId,
        mode: keyMode(apiKey),
        ...(idemKey !== undefined ? { idempotencyKey: idemKey } : {}),
      };
      try {
        if (fault === 'error500') {
          stats.faults.error500++;
          note.push('error500');
          throw apiError500();
        }
        const result = handler(core.services, apiReq);
        stored = { status: result.status, body: JSON.stringify(result.body, null, 2), headers: {} };
      } catch (err) {
        if (err instanceof ApiError && err.storage === 'dont-store') throw err;
        const apiErr = err instanceof ApiError ? err : apiError500();
        if (!(err instanceof ApiError)) core.log(`internal error on ${method} ${path}: ${String(err)}`);
        trace.code = apiErr.body.code ?? null;
        // A stored 500 would be replayed anyway, so Stripe tells clients not to retry it.
        const extra: Record<string, string> = apiErr.status >= 500 && idemKey !== undefined ? { 'Stripe-Should-Retry': 'false' } : {};
        stored = { status: apiErr.status, body: errorBody(apiErr, requestId), headers: { ...apiErr.headers, ...extra } };
      }
    } finally {
      if (lockedCustomer !== null) core.endCustomerWrite(lockedCustomer);
    }
    if (entry) core.idempotency.commit(entry, stored, fault === 'slowResponse');
    deliver(stored.status, stored.body, stored.headers);
  } catch (err) {
    if (entry) core.idempotency.abandon(entry);
    const apiErr = err instanceof ApiError ? err : apiError500();
    if (!(err instanceof ApiError)) core.log(`internal error on ${method} ${path}: ${String(err)}`);
    trace.code = apiErr.body.code ?? null;
    deliver(apiErr.status, errorBody(apiErr, requestId), apiErr.headers);
  }
}
