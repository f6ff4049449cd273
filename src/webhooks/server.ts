/**
 * The HTTP endpoint: `POST /stripe/webhook`, raw body, signature check, then receiveEvent.
 * Plain node:http. Logs never contain the signing secret or the Stripe-Signature header.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { receiveEvent, type ReceiveDeps, type Reply } from './receive-event';
import { verifyStripeSignature } from './signature';

export const WEBHOOK_PATH = '/stripe/webhook';
/** Stripe's events are far smaller; anything bigger is not from Stripe. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookServerDeps extends ReceiveDeps {
  /** The endpoint's signing secret (whsec_…). */
  secret: string;
}

export interface WebhookServer {
  /** e.g. http://127.0.0.1:4242/stripe/webhook */
  url: string;
  close(): Promise<void>;
}

export async function startWebhookServer(deps: WebhookServerDeps, listen: { port: number; host: string }): Promise<WebhookServer> {
  const server = http.createServer((req, res) => {
    handle(deps, req)
      .catch((err: unknown) => {
        deps.log(`webhook: unexpected error (${err instanceof Error ? err.message : String(err)})`);
        return { status: 500, body: { error: 'internal error' } };
      })
      .then((reply) => send(res, reply), () => undefined);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}${WEBHOOK_PATH}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

async function handle(deps: WebhookServerDeps, req: http.IncomingMessage): Promise<Reply> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== WEBHOOK_PATH) {
    req.resume();
    return { status: 404, body: { error: 'not found' } };
  }
  if (req.method !== 'POST') {
    req.resume();
    return { status: 405, body: { error: 'use POST' } };
  }
  const body = await readBody(req);
  if (body === 'too_large') return { status: 413, body: { error: 'body too large' } };
  const verified = verifyStripeSignature(body, req.headers['stripe-signature'], deps.secret);
  if (!verified.ok) {
    deps.log(`webhook rejected: ${verified.reason}`);
    return { status: 400, body: { error: verified.reason } };
  }
  return receiveEvent(deps, verified.event, body);
}

/** The exact bytes Stripe signed: no parsing, no re-encoding. */
function readBody(req: http.IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.headersSent) return;
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
