import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { assertPortFree, findFreePort } from './ports';
import { ServiceProcess, waitUntilReady, withLogTail } from './service-process';
import { resolveMariaDbBinaries } from './tools';

export interface MariaDbOptions {
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** The server's private data directory; created and initialised on first start. */
  dataDir: string;
  /** Created if missing (utf8mb4, binary collation). */
  database: string;
  /** Default `<dataDir>.log`. */
  logFile?: string;
  /** Default 90 s. */
  startTimeoutMs?: number;
  /** Appended to the server's arguments, e.g. TLS: `--ssl-ca=…`, `--require-secure-transport=ON`. */
  extraArgs?: string[];
}

export interface MariaDb {
  /** mysql://root@127.0.0.1:PORT/DB: root without a password, reachable only from this host. */
  url: string;
  port: number;
  socket: string;
  database: string;
  dataDir: string;
  logFile: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** Stop (SIGTERM, clean InnoDB shutdown) and start again on the same port and data. */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_MARKER = '.initialized-by-dev-stack';
const isRoot = process.getuid?.() === 0;

/** A private MariaDB server: its own datadir, socket and port; never the system instance. */
export async function startMariaDb(options: MariaDbOptions): Promise<MariaDb> {
  const { mariadbd, installDb } = resolveMariaDbBinaries();
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await findFreePort());
  const logFile = options.logFile ?? `${dataDir}.log`;
  const socket = socketPath(dataDir, port);
  const pidFile = path.join(dataDir, 'mariadbd.pid');
  const url = `mysql://root@${HOST}:${port}/${options.database}`;

  await assertPortFree(port, 'MariaDB');
  // A private temp dir: concurrent instances sharing /tmp collided on temporary table names.
  const tmpDir = `${dataDir}.tmp`;
  mkdirSync(tmpDir, { recursive: true });
  await initialiseDataDir(installDb, dataDir, logFile, tmpDir);

  const args = [
    '--no-defaults', // must come first: ignore /etc/mysql and ~/.my.cnf entirely
    `--datadir=${dataDir}`,
    `--tmpdir=${tmpDir}`,
    `--socket=${socket}`,
    `--pid-file=${pidFile}`,
    `--port=${port}`,
    `--bind-address=${HOST}`,
    ...(isRoot ? ['--user=root'] : []),
    '--skip-name-resolve', // no DNS lookups per connection; root@127.0.0.1 exists
    '--default-time-zone=+00:00',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_bin',
    '--max-connections=500',
    // Dev/test speed over durability: no binlog, fsync the redo log about once a second
    // (a crash may lose the last second; a clean SIGTERM loses nothing), less memory.
    '--skip-log-bin',
    '--innodb-flush-log-at-trx-commit=2',
    '--innodb-buffer-pool-size=256M',
    '--performance-schema=OFF',
    ...(options.extraArgs ?? []),
  ];
  const proc = new ServiceProcess({ name: 'MariaDB', command: mariadbd, args, logFile });
  const timeoutMs = options.startTimeoutMs ?? 90_000;

  const start = async () => {
    refuseIfDataDirInUse(pidFile, dataDir);
    await assertPortFree(port, 'MariaDB');
    proc.start();
    await waitUntilReady(proc, () => acceptsConnections(socket), { timeoutMs });
  };
  await start();
  await createDatabase(socket, options.database).catch(async (err: unknown) => {
    await proc.stop();
    throw err;
  });

  return {
    url,
    port,
    socket,
    database: options.database,
    dataDir,
    logFile,
    get pid() {
      return proc.pid;
    },
    stop: () => proc.stop(60_000),
    restart: async () => {
      await proc.stop(60_000);
      await start();
    },
  };
}

/** Unix socket paths are limited to ~107 bytes: fall back to the temp dir for deep datadirs. */
function socketPath(dataDir: string, port: number): string {
  const inDataDir = path.join(dataDir, 'mariadbd.sock');
  return inDataDir.length < 100 ? inDataDir : path.join(os.tmpdir(), `dev-stack-mariadb-${port}.sock`);
}

/**
 * Runs mariadb-install-db once, into a sibling directory that is renamed into place on success,
 * so an interrupted first start never leaves a half-initialised datadir behind.
 */
async function initialiseDataDir(installDb: string, dataDir: string, logFile: string, tmpDir: string): Promise<void> {
  if (existsSync(path.join(dataDir, READY_MARKER))) return;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} exists but was not initialised by dev/stack; remove it or choose another dataDir`);
  }
  const staging = `${dataDir}.initialising`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const args = [
    '--no-defaults',
    `--datadir=${staging}`,
    `--tmpdir=${tmpDir}`,
    // root@localhost, root@127.0.0.1 and root@::1 without a password (the default, 'socket',
    // only lets the OS root user in over the Unix socket; clients here use TCP).
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
    ...(isRoot ? ['--user=root'] : []),
  ];
  try {
    const { stdout, stderr } = await promisify(execFile)(installDb, args, { maxBuffer: 16 * 1024 * 1024 });
    writeFileSync(logFile, `=== mariadb-install-db\n${stdout}${stderr}`, { flag: 'a' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    writeFileSync(logFile, `=== mariadb-install-db failed\n${e.stdout ?? ''}${e.stderr ?? ''}`, { flag: 'a' });
    throw withLogTail(`mariadb-install-db failed for ${dataDir}: ${e.message.split('\n')[0]}`, logFile);
  }
  writeFileSync(path.join(staging, READY_MARKER), `${new Date().toISOString()}\n`);
  rmSync(dataDir, { recursive: true, force: true }); // empty, checked above
  renameSync(staging, dataDir);
}

/** Two servers on one datadir corrupt it; InnoDB would also just retry its file lock for ~100 s. */
function refuseIfDataDirInUse(pidFile: string, dataDir: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!pid || !processLooksLikeMariaDb(pid)) return;
  throw new Error(`a MariaDB server (pid ${pid}) is already using ${dataDir}; stop it (npm run stack down, or kill ${pid})`);
}

function processLooksLikeMariaDb(pid: number): boolean {
  try {
    return /mariadbd|mysqld/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

// Admin connections use the Unix socket: it works whatever extraArgs say about TCP (a server
// with require_secure_transport accepts the socket without TLS).
async function acceptsConnections(socket: string): Promise<boolean> {
  const connection = await mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 2_000 });
  try {
    await connection.query('SELECT 1');
    return true;
  } finally {
    await connection.end();
  }
}

async function createDatabase(socket: string, database: string): Promise<void> {
  const connection = await mysql.createConnection({ socketPath: socket, user: 'root' });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await connection.end();
  }
}
