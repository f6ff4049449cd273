// One real stack (Temporal dev server, MariaDB, Stripe simulator) per mocha process, started on
// first use on free ports in a temp dir, stopped by the root hook in test/support/mocha-hooks.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { startStack, type Stack } from '../../dev/stack/stack';
import type { Pool } from '../../src/db/pool';

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
export async function truncateAll(pool: Pool): Promise<void> {
  const connection = await pool.getConnection();
  try {
    const [tables] = await connection.query<RowDataPacket[]>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
    );
    // Per session: lets TRUNCATE run whatever foreign keys later migrations add.
    await connection.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const { name } of tables) await connection.query(`TRUNCATE TABLE ${connection.escapeId(String(name))}`);
    await connection.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    connection.release();
  }
}
