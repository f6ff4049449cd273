import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { RowDataPacket } from 'mysql2/promise';
import type { Stack } from '../../dev/stack/stack';
import { listMigrations, migrate } from '../../src/db/migrate';
import { checkDatabase, createPool, type Pool } from '../../src/db/pool';
import { getTestStack, STACK_START_TIMEOUT_MS, truncateAll } from '../support/stack';

interface ColumnSpec {
  name: string;
  dataType: string;
  nullable: boolean;
}

const byName = (a: ColumnSpec, b: ColumnSpec) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** `name TYPE … [NOT NULL]` → what information_schema reports for it. */
function parseColumn(definition: string): ColumnSpec {
  const [name = '', type = ''] = definition.trim().split(/\s+/);
  return { name, dataType: type.replace(/\(.*/, '').toLowerCase(), nullable: !/NOT NULL/i.test(definition) };
}

/**
 * The columns every table should have after all migrations, read from the SQL files themselves:
 * CREATE TABLE bodies, then ALTER TABLE … ADD/MODIFY/DROP COLUMN in file order. Sorted by name
 * (ADD COLUMN … AFTER places columns anywhere).
 */
function columnsFromMigrations(): Map<string, ColumnSpec[]> {
  const tables = new Map<string, Map<string, ColumnSpec>>();
  for (const { path: file } of listMigrations()) {
    const sql = readFileSync(file, 'utf8').replace(/--[^\n]*/g, '');
    for (const statement of sql.split(';')) {
      const created = /CREATE TABLE (?:IF NOT EXISTS )?(\w+) \(([\s\S]*)\)\s*ENGINE/.exec(statement);
      if (created) {
        const columns = created[2]
          .split('\n')
          .filter((line) => /^\s*[a-z_]+\s+[A-Z]/.test(line) && !/^\s*(KEY|UNIQUE|PRIMARY)\b/.test(line))
          .map(parseColumn);
        tables.set(created[1], new Map(columns.map((c) => [c.name, c])));
      }
      const altered = /ALTER TABLE (\w+)([\s\S]*)/.exec(statement);
      if (altered) {
        const columns = tables.get(altered[1]) ?? new Map<string, ColumnSpec>();
        for (const [, verb, definition] of altered[2].matchAll(/(ADD|MODIFY|DROP) COLUMN ([^,]+)/g)) {
          const column = parseColumn(definition);
          if (verb === 'DROP') columns.delete(column.name);
          else columns.set(column.name, column);
        }
        tables.set(altered[1], columns);
      }
    }
  }
  return new Map([...tables].map(([table, columns]) => [table, [...columns.values()].sort(byName)]));
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

  it('has exactly the tables and columns that the migration files define', async () => {
    const expected = columnsFromMigrations();
    // The original job's columns, which the service must keep reading and writing.
    const original = {
      customer: ['id', 'stripe_customer_id', 'stripe_payment_method_id'],
      invoice: ['id', 'customer_id', 'status', 'due_date', 'amount_cents', 'paid_at', 'stripe_payment_intent_id'],
      payment_attempt: ['invoice_id', 'attempt_number', 'idempotency_key', 'outcome'],
    };
    for (const [table, names] of Object.entries(original)) {
      const parsed = (expected.get(table) ?? []).map((c) => c.name);
      for (const name of names) assert.ok(parsed.includes(name), `${table}.${name} in the migrations`);
    }
    const [tables] = await pool.query<RowDataPacket[]>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations' ORDER BY name",
    );
    assert.deepEqual(
      tables.map((t) => String(t.name)),
      [...expected.keys()].sort(),
    );
    for (const [table, columns] of expected) {
      const [rows] = await pool.query<RowDataPacket[]>(
        `SELECT column_name AS name, data_type AS dataType, is_nullable = 'YES' AS nullable
         FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?
`,
        [table],
      );
      const actual = rows.map((r) => ({ name: String(r.name), dataType: String(r.dataType), nullable: r.nullable === 1 }));
      assert.deepEqual(actual.sort(byName), columns, `columns of ${table}`);
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
        assert.match(err.message, /^cannot reach MySQL at 127\.0\.0\.1:1\/invoices \(.*ECONNREFUSED.*\): is it running\? check the host and port in MYSQL_URL$/);
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      });
    } finally {
      await unreachable.end();
    }
  });
});
