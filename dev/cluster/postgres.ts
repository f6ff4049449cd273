// A private PostgreSQL 15 for the cluster's persistence and visibility: its own data directory,
// port and socket dir — never the system service. PostgreSQL refuses to run as root, so as root
// initdb and postgres run as the `postgres` user (or `nobody`), owning the data directory.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree, findFreePort } from '../stack/ports';
import { ServiceProcess, waitUntilReady } from '../stack/service-process';

export const PG_USER = 'temporal';

export interface Postgres {
  port: number;
  host: string;
  dataDir: string;
  logFile: string;
  readonly pid: number;
  process: ServiceProcess;
  stop(): Promise<void>;
  /** Fast shutdown and start on the same data (chaos: "restart PostgreSQL"). */
  restart(): Promise<void>;
}

function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions[0]) throw new Error('PostgreSQL server not found under /usr/lib/postgresql: run `bash dev/bootstrap.sh --cluster` (installs the Debian postgresql package)');
  return path.join(root, versions[0], 'bin');
}

function runAsUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':'));
  const entry = passwd.find((p) => p[0] === 'postgres') ?? passwd.find((p) => p[0] === 'nobody');
  if (!entry) throw new Error('running as root and neither a postgres nor a nobody user exists: PostgreSQL refuses to run as root');
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

function chownTree(dir: string, user: { uid: number; gid: number }): void {
  chownSync(dir, user.uid, user.gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, user);
    else chownSync(p, user.uid, user.gid);
  }
}

/** pg_isready: a port that accepts TCP is not yet a database that accepts sessions. */
function accepts(bin: string, port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(path.join(bin, 'pg_isready'), ['-h', host, '-p', String(port), '-U', PG_USER, '-t', '2'], (err) => resolve(!err));
  });
}

export async function startPostgres(options: { dataDir: string; logFile: string; port?: number }): Promise<Postgres> {
  const bin = pgBinDir();
  const user = runAsUser();
  const host = '127.0.0.1';
  const port = options.port ?? (await findFreePort());
  const dataDir = path.resolve(options.dataDir);
  const pgData = path.join(dataDir, 'pgdata');
  const socketDir = path.join(dataDir, 'socket');
  mkdirSync(socketDir, { recursive: true });
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (user) {
    chownTree(dataDir, user);
    // mkdtemp makes 0700 folders: the postgres user must be able to pass through ours to its data.
    for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const st = statSync(dir);
      if (st.uid === process.getuid?.() && (st.mode & 0o001) === 0) chmodSync(dir, (st.mode & 0o777) | 0o111);
    }
  }
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    // Trust on loopback only (listen_addresses below): a private, throw-away development database.
    execFileSync(path.join(bin, 'initdb'), ['-D', pgData, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--no-instructions'], {
      stdio: ['ignore', 'ignore', 'pipe'], uid: user?.uid, gid: user?.gid, cwd: dataDir,
    });
  }
  const args = ['-D', pgData, '-p', String(port), '-k', socketDir, '-c', `listen_addresses=${host}`,
    // Development speed on a shared box: no fsync (a clean or process-only crash loses nothing).
    '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'shared_buffers=64MB'];
  const proc = new ServiceProcess({ name: 'PostgreSQL', command: path.join(bin, 'postgres'), args, logFile: options.logFile, cwd: dataDir, uid: user?.uid, gid: user?.gid, stopSignal: 'SIGINT' });
  const start = async () => {
    await assertPortFree(port, 'PostgreSQL', 'CLUSTER_PG_PORT');
    proc.start();
    await waitUntilReady(proc, () => accepts(bin, port, host), { timeoutMs: 60_000, intervalMs: 250 });
  };
  await start();
  return {
    port, host, dataDir, logFile: options.logFile, process: proc,
    get pid() { return proc.pid; },
    stop: () => proc.stop(),
    restart: async () => { await proc.stop(); await start(); },
  };
}
