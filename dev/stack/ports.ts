import { readFileSync } from 'node:fs';
import net from 'node:net';

const HOST = '127.0.0.1';

/** The env var that overrides each service's port in `npm run stack`, for error messages. */
export const PORT_ENV_VARS: Record<string, string> = {
  Temporal: 'TEMPORAL_PORT',
  'Temporal Web UI': 'TEMPORAL_UI_PORT',
  MariaDB: 'MYSQL_PORT',
  'Stripe simulator': 'STRIPE_SIM_PORT',
};

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly serviceName: string,
    envVar = PORT_ENV_VARS[serviceName],
  ) {
    const fix = envVar ? `set ${envVar}` : 'choose another port';
    super(`port ${port} (${serviceName}) is already in use; ${fix} or stop the other process`);
    this.name = 'PortInUseError';
  }
}

/** True when nothing listens on 127.0.0.1:port (nor on a wildcard address covering it). */
export function isPortFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortFree(port: number, serviceName: string, envVar?: string): Promise<void> {
  if (!(await isPortFree(port))) throw new PortInUseError(port, serviceName, envVar);
}

/** The kernel's ephemeral range, which services (Temporal's internal ports) also draw from. */
function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch {
    // not Linux: fall through
  }
  return [32768, 60999];
}

const handedOut = new Set<number>();

/**
 * A port that is free now. Drawn below the kernel's ephemeral range, so that a port chosen here
 * is not also picked at random by a server starting in parallel (the Temporal dev server binds
 * several ephemeral ports) or used as the source port of an outgoing connection.
 */
export async function findFreePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = 20_000;
  const high = Math.max(low + 1000, ephemeralLow - 1);
  for (let i = 0; i < 100; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await isPortFree(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: HOST }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isListening(port: number, host = HOST, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
