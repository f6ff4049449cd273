/** HTTP server: routes /_sim to the admin API and everything else through the /v1 pipeline. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin } from './admin';
import { handleApiRequest, type HeldTimers } from './pipeline';
import { SimulatorCore } from './simulator';
import type { SimulatorOptions, StripeSimulator } from './types';

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStripeSimulator(options: SimulatorOptions = {}): Promise<StripeSimulator> {
  const core = new SimulatorCore(options);
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const held: HeldTimers = new Set();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    readBody(req)
      .then((raw) => {
        if (url.pathname.startsWith('/_sim/')) return handleAdmin(core, req.method ?? 'GET', url.pathname, raw, res);
        return handleApiRequest(core, req, res, url, raw, held);
      })
      .catch((err: unknown) => {
        core.log(`request failed: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'api_error', message: 'An unknown error occurred' } }));
        }
      });
  };

  const server = createServer(onRequest);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Expired idempotency keys are dropped on lookup; this sweep bounds memory for long runs.
  const sweeper = setInterval(() => core.idempotency.sweep(), 60_000);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweeper);
        for (const t of held) clearTimeout(t);
        held.clear();
        core.webhooks.close();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
    configure: (patch) => core.configure(patch),
    config: () => core.snapshotConfig(),
    ledger: () => core.ledger.list(),
    requests: () => core.requestLog.list(),
    reset: () => core.reset(),
    stats: () => core.snapshotStats(),
    createCustomer: (input) => core.createCustomer(input),
    completeAuthentication: (id, outcome) => core.completeAuthentication(id, outcome),
    settleProcessing: (id, outcome) => core.settleProcessing(id, outcome),
    setPaymentMethodBehaviour: (id, token) => core.setPaymentMethodBehaviour(id, token),
    advanceClock: (ms) => core.advanceClock(ms),
    flushWebhooks: () => core.webhooks.flush(),
  };
}
