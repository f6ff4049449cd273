// Builds the Temporal server (and temporal-sql-tool) from the Go module proxy once, into
// .tools/temporal-server-v<version>/; a new pinned version gets a new folder, so it rebuilds.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../stack/tools';

/** The pinned server version (and the Go toolchain it needs, fetched by the go command). */
export const TEMPORAL_SERVER_VERSION = 'v1.32.2';
export const GO_TOOLCHAIN = 'go1.27.3';

export interface ServerBinaries {
  server: string;
  sqlTool: string;
  /** go.temporal.io/server@version in the module cache: schemas and sample configs. */
  moduleDir: string;
}

export const binDir = (version = TEMPORAL_SERVER_VERSION) => path.join(PROJECT_ROOT, '.tools', `temporal-server-${version}`);

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      for (const line of d.toString().split('\n').filter(Boolean)) onLine?.(line);
    });
    child.once('error', (e) => reject(new Error(`${command} could not start (${e.message}): install Go (https://go.dev/dl) — it fetches ${GO_TOOLCHAIN} itself`)));
    child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${err.split('\n').slice(-20).join('\n')}`))));
  });
}

/** The binaries, building them first when this version is not in .tools yet (~7 min cold, seconds warm). */
export async function ensureServerBuilt(log: (m: string) => void = () => undefined): Promise<ServerBinaries> {
  const dir = binDir();
  const env = { ...process.env, GOTOOLCHAIN: GO_TOOLCHAIN, GOFLAGS: '-mod=mod' };
  const server = path.join(dir, 'server');
  const sqlTool = path.join(dir, 'sql');
  if (!isExecutable(server) || !isExecutable(sqlTool)) {
    // Build into a temp folder and rename: an interrupted build never looks finished.
    const tmp = `${dir}.building-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    log(`building Temporal server ${TEMPORAL_SERVER_VERSION} with ${GO_TOOLCHAIN} into ${dir} (first time only; minutes)`);
    const startedAt = Date.now();
    await run('go', ['install', `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], { ...env, GOBIN: tmp });
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    log(`built in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  }
  const modCache = await run('go', ['env', 'GOMODCACHE'], env);
  const moduleDir = path.join(modCache, `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`);
  if (!isExecutable(path.dirname(moduleDir))) {
    // The binaries are cached but the module cache was cleaned: fetch the module for its schemas.
    await run('go', ['mod', 'download', `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`], env);
  }
  return { server, sqlTool, moduleDir };
}
