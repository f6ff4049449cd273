// One real stack (Temporal dev server, MariaDB, Stripe simulator) per mocha process, started on
// first use on free ports in a temp dir, stopped by the root hook in test/support/mocha-hooks.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../../dev/stack/stack';
import { emptyTables } from '../../dev/stack/empty-tables';

/** Mocha timeout for a `before` hook that calls getTestStack(): a cold start on a busy 2-core box. */
export const STACK_START_TIMEOUT_MS = 180_000;

let starting: Promise<Stack> | undefined;
let dataDir: string | undefined;

export function getTestStack(): Promise<Stack> {
  if (!starting) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'invoice-test-stack-'));
    const dir = dataDir;
    starting = startStack({ dataDir: dir, freePorts: true, ui: false });
    // A failed start is reported to every caller, not retried for each test file.
  }
  return starting;
}

export async function stopTestStack(): Promise<void> {
  if (!starting) return;
  const stack = await starting.catch(() => undefined);
  starting = undefined;
  await stack?.stop();
  if (dataDir && !process.env.KEEP_TEST_STACK_DATA) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}

/** Empties every table except schema_migrations, so each test starts from a known state. */
export const truncateAll = emptyTables;
