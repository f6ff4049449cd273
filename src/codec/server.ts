/**
 * The codec server (Temporal's remote codec protocol): `POST /encode` and `POST /decode` take and
 * return `{"payloads": [...]}`, so the Web UI (`--ui-codec-endpoint`, or its Data Encoder
 * setting) and the CLI (`--codec-endpoint`) show decrypted payloads. CORS answers only the Web
 * UI origins configured; with a token, every call needs `Authorization: Bearer <token>`.
 * Never logs payloads, keys or the token.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { payloadFromJson, payloadToJson } from './payload-json';

/** A Temporal payload is at most 2 MB; a request carries several. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed to call from a browser, e.g. http://127.0.0.1:8233 (the Web UI). */
  corsOrigins: string[];
  /** Optional bearer token; non-enumerable in the config that holds it. */
  token?: string;
  port: number;
  host: string;
  log?: (line: string) => void;
}

export interface CodecServer {
  /** e.g. http://127.0.0.1:8888 — what --ui-codec-endpoint and --codec-endpoint take. */
  url: string;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const log = options.log ?? (() => undefined);
  const server = http.createServer((req, res) => {
    const cors = corsHeaders(options.corsOrigins, req.headers.origin);
    handle(options, req)
      .catch((err: unknown): Reply => {
        log(`codec server: ${err instanceof Error ? err.message : String(err)}`);
        return { status: 500, body: { error: 'internal error' } };
      })
      .then((reply) => send(res, reply, cors), () => undefined);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(options: CodecServerOptions, req: http.IncomingMessage): Promise<Reply> {
  const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
  // A browser's preflight carries no credentials: answer it with the CORS headers alone.
  if (req.method === 'OPTIONS') {
    req.resume();
    return { status: 204 };
  }
  if (path !== '/encode' && path !== '/decode') {
    req.resume();
    return { status: 404, body: { error: 'not found: POST /encode or /decode' } };
  }
  if (req.method !== 'POST') {
    req.resume();
    return { status: 405, body: { error: 'use POST' } };
  }
  if (options.token !== undefined && !bearerMatches(req.headers.authorization, options.token)) {
    req.resume();
    return { status: 401, body: { error: 'missing or wrong bearer token' } };
  }
  const raw = await readBody(req);
  if (raw === 'too_large') return { status: 413, body: { error: 'body too large' } };
  let payloads;
  try {
    const body = JSON.parse(raw.toString('utf8')) as { payloads?: unknown };
    if (!Array.isArray(body.payloads)) throw new TypeError('body must be {"payloads": [...]}');
    payloads = body.payloads.map(payloadFromJson);
  } catch (err) {
    return { status: 400, body: { error: err instanceof SyntaxError ? 'body is not JSON' : (err as Error).message } };
  }
  try {
    const out = path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    return { status: 200, body: { payloads: out.map(payloadToJson) } };
  } catch (err) {
    // A missing key or a payload that does not authenticate: the caller gets the reason.
    if (err instanceof Error) return { status: 422, body: { error: err.message } };
    throw err;
  }
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function corsHeaders(allowed: string[], origin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { Vary: 'Origin' };
  if (origin !== undefined && allowed.includes(origin)) {
    Object.assign(headers, {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
      // The Web UI sends X-Namespace and, when configured to, the user's Authorization.
      'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Max-Age': '600',
    });
  }
  return headers;
}

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

function send(res: http.ServerResponse, reply: Reply, cors: Record<string, string>): void {
  if (res.headersSent) return;
  const body = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...cors, ...(body && { 'Content-Type': 'application/json' }), 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
