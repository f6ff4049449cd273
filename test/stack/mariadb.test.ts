import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDb } from '../../dev/stack/mariadb';
import { createPool } from '../../src/db/pool';

describe('stack: MariaDB of its own', function () {
  this.timeout(180_000);
  let dataDir: string;
  let db: MariaDb | undefined;

  before(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mariadb-test-'));
  });
  after(async () => {
    await db?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('initialises an empty datadir, and keeps committed data across restart()', async () => {
    db = await startMariaDb({ dataDir: path.join(dataDir, 'mysql'), database: 'restart_test' });
    assert.equal(db.url, `mysql://root@127.0.0.1:${db.port}/restart_test`);
    const firstPid = db.pid;

    let pool = createPool(db.url, { connectionLimit: 1 });
    await pool.query('CREATE TABLE kept (id INT PRIMARY KEY, note VARCHAR(20))');
    await pool.query("INSERT INTO kept VALUES (1, 'survives')");
    await pool.end();

    await db.restart();
    assert.notEqual(db.pid, firstPid);

    pool = createPool(db.url, { connectionLimit: 1 });
    try {
      const [rows] = await pool.query<RowDataPacket[]>('SELECT note FROM kept');
      assert.deepEqual(
        rows.map((r) => String(r.note)),
        ['survives'],
      );
    } finally {
      await pool.end();
    }
  });

  it('refuses a second server on the same datadir with a clear message', async () => {
    await assert.rejects(
      startMariaDb({ dataDir: db!.dataDir, database: 'restart_test' }),
      /a MariaDB server \(pid \d+\) is already using .*; stop it/,
    );
  });
});
