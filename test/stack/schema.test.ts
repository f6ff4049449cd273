import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import type { Stack } from '../../dev/stack/stack';
import { listMigrations, migrate, MIGRATIONS_DIR } from '../../src/db/migrate';
import { checkDatabase, createPool, type Pool } from '../../src/db/pool';
import { getTestStack, STACK_START_TIMEOUT_MS, truncateAll } from '../support/stack';

interface ColumnSpec {
  name: string;
  dataType: string;
  nullable: boolean;
}

/** Column names, base types and nullability of each CREATE TABLE in a migration file. */
function columnsInSql(file: string): Map<string, ColumnSpec[]> {
  const sql = readFileSync(file, 'utf8').replace(/--[^\n]*/g, '');
  const tables = new Map<string, ColumnSpec[]>();
  for (const [, table, body] of sql.matchAll(/CREATE TABLE (\w+) \(([\s\S]*?)\n\) ENGINE/g)) {
    const columns = body
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^[a-z_]+\s+[A-Z]/.test(line) && !/^(KEY|UNIQUE|PRIMARY)\b/.test(line))
      .map((line) => {
        const [name, type] = line.split(/\s+/);
        return { name: name, dataType: type.replace(/\(.*/, '').toLowerCase(), nullable: !/NOT NULL/.test(line) };
      });
    tables.set(table, columns);
  }
  return tables;
}

describe('stack: database', function () {
  this.timeout(STACK_START_TIMEOUT_MS);
  let stack: Stack;
  let pool: Pool;

  before(async () => {
    stack = await getTestStack();
    pool = createPool(stack.mysql.url, { connectionLimit: 4 });
  });
  after(() => pool?.end());

  it('has the tables and columns of the initial migration, exactly', async () => {
    const expected = columnsInSql(path.join(MIGRATIONS_DIR, '001_initial_schema.sql'));
    assert.deepEqual([...expected.keys()], ['customer', 'invoice', 'payment_attempt']);
    for (const [table, columns] of expected) {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT column_name AS name, data_type AS dataType, is_nullable = 'YES' AS nullable
         FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?
         ORDER BY ordinal_position`,
        [table],
      );
      const actual = rows.map((r) => ({ name: String(r.name), dataType: String(r.dataType), nullable: r.nullable === 1 }));
      assert.deepEqual(actual, columns, `columns of ${table}`);
    }
  });

  it('records every migration once, and a second run applies nothing', async () => {
    assert.deepEqual(await migrate(stack.mysql.url), []);
    const [rows] = await pool.query<RowDataPacket[]>('SELECT name FROM schema_migrations ORDER BY name');
    assert.deepEqual(
      rows.map((r) => String(r.name)),
      listMigrations().map((m) => m.name),
    );
  });

  it('runs concurrent migrations safely (a named lock serialises them)', async () => {
    const results = await Promise.all([migrate(stack.mysql.url), migrate(stack.mysql.url)]);
    assert.deepEqual(results, [[], []]);
  });

  it('pool sessions are UTC and DATETIMEs round-trip as UTC Dates', async () => {
    await checkDatabase(pool);
    const [[tz]] = await pool.query<RowDataPacket[]>('SELECT @@session.time_zone AS tz');
    assert.equal(tz.tz, '+00:00');
    const due = new Date('2026-03-01T23:30:00.000Z');
    await truncateAll(pool);
    await pool.query('INSERT INTO invoice (status, due_date, amount_cents, paid_at) VALUES (?, ?, ?, NOW(3))', [
      'pending',
      due,
      1999,
    ]);
    const [[row]] = await pool.query<RowDataPacket[]>(
      "SELECT due_date, amount_cents, DATE_FORMAT(due_date, '%H:%i') AS hhmm, ABS(TIMESTAMPDIFF(SECOND, paid_at, UTC_TIMESTAMP())) AS skew FROM invoice",
    );
    assert.deepEqual(row.due_date, due);
    assert.equal(row.hhmm, '23:30');
    assert.equal(row.amount_cents, 1999);
    assert.ok(Number(row.skew) < 60, 'NOW() is UTC');
  });

  it('truncateAll empties the tables but keeps the migration record', async () => {
    await pool.query("INSERT INTO customer (stripe_customer_id) VALUES ('cus_1')");
    await truncateAll(pool);
    const [[counts]] = await pool.query<RowDataPacket[]>(
      'SELECT (SELECT COUNT(*) FROM customer) AS customers, (SELECT COUNT(*) FROM invoice) AS invoices, (SELECT COUNT(*) FROM schema_migrations) AS migrations',
    );
    assert.equal(counts.customers, 0);
    assert.equal(counts.invoices, 0);
    assert.ok(Number(counts.migrations) >= 1);
  });

  it('checkDatabase names host and port but never the password when MySQL is unreachable', async () => {
    const unreachable = createPool('mysql://app:s3cret-pw@127.0.0.1:1/invoices', { connectionLimit: 1 });
    try {
      await assert.rejects(checkDatabase(unreachable), (err: Error) => {
        assert.match(err.message, /^cannot reach MySQL at 127\.0\.0\.1:1\/invoices \(.*ECONNREFUSED.*\): is it running\? check MYSQL_URL$/);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      });
    } finally {
      await unreachable.end();
    }
  });
});
