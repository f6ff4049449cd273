/**
 * Adoption of a business's existing invoice/customer tables (docs/adoption.md): one database per
 * type variant on the test stack's MariaDB, with rows, adopted by `migrate`, then charged by a
 * real run (Temporal dev server, real activities, Stripe simulator).
 */
import assert from 'node:assert/strict';
import mysql, { type ResultSetHeader, type RowDataPacket } from 'mysql2/promise';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createStripeCustomer } from '../../dev/demo/stripe-customers';
import { createActivities } from '../../src/activities';
import { planAdoption } from '../../src/db/adoption';
import { listMigrations, migrate, planMigrations } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { chargePendingInvoices } from '../../src/workflows';
import { openTestServices, type TestServices } from '../support/services';
import { STACK_START_TIMEOUT_MS } from '../support/stack';
import { createTestWorker, testEnvironment, uniqueTaskQueue } from '../support/temporal';

interface Variant {
  name: string;
  /** The business's tables, original columns (plus whatever else a business has). */
  ddl: string[];
  /** A status value of the business that is not one of the service's (left alone). */
  foreignStatus?: string;
}

const VARIANTS: Variant[] = [
  {
    name: 'int_date_enum_ci',
    ddl: [
      `CREATE TABLE customer (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NULL,
         stripe_customer_id VARCHAR(255) NULL, stripe_payment_method_id VARCHAR(255) NULL)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
      `CREATE TABLE invoice (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL,
         status ENUM('pending','paid','void') NOT NULL DEFAULT 'pending', due_date DATE NOT NULL,
         amount_cents INT NOT NULL, paid_at DATETIME NULL, stripe_payment_intent_id VARCHAR(255) NULL,
         KEY by_customer (customer_id))
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
    ],
    foreignStatus: 'void',
  },
  {
    name: 'bigint_unsigned_datetime_varchar_ci',
    ddl: [
      `CREATE TABLE customer (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
         stripe_customer_id VARCHAR(64) NULL, stripe_payment_method_id VARCHAR(64) NULL)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
      `CREATE TABLE invoice (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id BIGINT UNSIGNED NULL,
         status VARCHAR(20) NOT NULL, due_date DATETIME NULL, amount_cents BIGINT NULL,
         paid_at DATETIME(3) NULL, stripe_payment_intent_id VARCHAR(255) NULL, KEY by_status (status))
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    ],
    // Under a case-insensitive collation this equals 'pending' in SQL; the service leaves it alone.
    foreignStatus: 'PENDING',
  },
  {
    name: 'int_unsigned_timestamp_varchar_bin',
    ddl: [
      `CREATE TABLE customer (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
         stripe_customer_id VARCHAR(255) NULL, stripe_payment_method_id VARCHAR(255) NULL,
         created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
      `CREATE TABLE invoice (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id INT UNSIGNED NULL,
         status VARCHAR(32) NOT NULL DEFAULT 'pending', due_date TIMESTAMP NULL DEFAULT NULL,
         amount_cents BIGINT NOT NULL, paid_at TIMESTAMP NULL DEFAULT NULL, stripe_payment_intent_id VARCHAR(255) NULL,
         created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)
       ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    ],
    foreignStatus: 'draft',
  },
  {
    name: 'bigint_signed_date_enum_bin',
    ddl: [
      `CREATE TABLE customer (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
         stripe_customer_id VARCHAR(255) NULL, stripe_payment_method_id VARCHAR(255) NULL)
       ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_bin`,
      `CREATE TABLE invoice (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, customer_id BIGINT NULL,
         status ENUM('draft','pending','paid') NULL DEFAULT 'draft' COMMENT 'billing state', due_date DATE NULL,
         amount_cents BIGINT NULL, paid_at DATETIME NULL, stripe_payment_intent_id VARCHAR(255) NULL)
       ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_bin`,
    ],
    foreignStatus: 'draft',
  },
];

const PAST_DUE = new Date('2026-01-15T00:00:00Z');
// Within TIMESTAMP's range (to 2038).
const FUTURE_DUE = new Date('2037-01-01T00:00:00Z');
const PAID_AT = new Date('2025-12-01T10:00:00Z');

type Snapshot = { columns: RowDataPacket[]; indexes: RowDataPacket[]; tables: RowDataPacket[] };

async function catalogue(db: Pool): Promise<Snapshot> {
  const [columns] = await db.query<RowDataPacket[]>(
    `SELECT table_name, column_name, column_type, is_nullable, column_default, collation_name, ordinal_position
       FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position`,
  );
  const [indexes] = await db.query<RowDataPacket[]>(
    `SELECT table_name, index_name, column_name, seq_in_index FROM information_schema.statistics
      WHERE table_schema = DATABASE() AND table_name <> 'schema_migrations' ORDER BY table_name, index_name, seq_in_index`,
  );
  const [tables] = await db.query<RowDataPacket[]>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name',
  );
  return { columns, indexes, tables };
}

describe('adoption: migrate on a database that already has the business tables', function () {
  this.timeout(120_000);
  let s: TestServices;
  let env: TestWorkflowEnvironment;
  let root: mysql.Connection;
  const pools: Pool[] = [];

  function urlFor(database: string): string {
    return s.stack.mysql.url.replace(/\/[^/]*$/, `/${database}`);
  }

  async function businessDatabase(name: string, ddl: string[]): Promise<{ url: string; db: Pool }> {
    const database = `adopt_${name}`;
    await root.query(`DROP DATABASE IF EXISTS ${database}`);
    await root.query(`CREATE DATABASE ${database}`);
    const url = urlFor(database);
    const db = createPool(url, { connectionLimit: 6 });
    pools.push(db);
    for (const statement of ddl) await db.query(statement);
    return { url, db };
  }

  before(async function () {
    this.timeout(STACK_START_TIMEOUT_MS);
    s = await openTestServices();
    env = await testEnvironment(s.stack);
    root = await mysql.createConnection({ uri: s.stack.mysql.url });
  });
  after(async () => {
    for (const db of pools) await db.end();
    await root?.end();
    await env?.teardown();
    await s?.close();
  });

  for (const variant of VARIANTS) {
    it(`${variant.name}: plan changes nothing, migrate adopts, the business's INSERT works, a run charges, re-running is a no-op`, async () => {
      s.stack.stripe.reset();
      const { url, db } = await businessDatabase(variant.name, variant.ddl);
      // The business's rows, written with the original columns only.
      const visa = await createStripeCustomer(s.stripe, 'pm_card_visa', `visa-${variant.name}@example.test`);
      const declined = await createStripeCustomer(s.stripe, 'pm_card_chargeDeclined', `declined-${variant.name}@example.test`);
      const customer = async (ids: { customerId: string; paymentMethodId: string }) => {
        const [res] = await db.query<ResultSetHeader>(
          'INSERT INTO customer (stripe_customer_id, stripe_payment_method_id) VALUES (?, ?)', [ids.customerId, ids.paymentMethodId]);
        return res.insertId;
      };
      const visaId = await customer(visa);
      const declinedId = await customer(declined);
      const invoice = async (customerId: number, status: string, dueDate: Date, amount: number, paidAt: Date | null = null, pi: string | null = null) => {
        const [res] = await db.query<ResultSetHeader>(
          `INSERT INTO invoice (customer_id, status, due_date, amount_cents, paid_at, stripe_payment_intent_id)
           VALUES (?, ?, ?, ?, ?, ?)`,
          [customerId, status, dueDate, amount, paidAt, pi],
        );
        return res.insertId;
      };
      const historic = await invoice(visaId, 'paid', new Date('2025-11-01T00:00:00Z'), 4200, PAID_AT, 'pi_from_before');
      const due = await invoice(visaId, 'pending', PAST_DUE, 5000);
      const declines = await invoice(declinedId, 'pending', PAST_DUE, 3100);
      const notYetDue = await invoice(visaId, 'pending', FUTURE_DUE, 7000);
      const foreign = variant.foreignStatus ? await invoice(visaId, variant.foreignStatus, PAST_DUE, 9900) : undefined;

      // --plan: the exact DDL, and nothing changes (not even schema_migrations).
      const before = await catalogue(db);
      const plan = await planMigrations(url);
      assert.equal(plan.mode, 'adopt');
      assert.deepEqual(await catalogue(db), before, 'the plan changed the catalogue');
      assert.deepEqual((await catalogue(db)).tables.map((t) => String(t.table_name)), ['customer', 'invoice'], 'no schema_migrations either');
      const ddl = plan.statements.join(';\n');
      assert.match(ddl, /ALTER TABLE invoice\n {2}ADD COLUMN currency VARCHAR\(16\) NOT NULL DEFAULT 'usd'[\s\S]*ALGORITHM=INSTANT/);
      assert.match(ddl, /ADD KEY idx_invoice_status_due_id \(status, due_date, id\)[\s\S]*ALGORITHM=INPLACE, LOCK=NONE/);
      assert.match(ddl, /CREATE TABLE payment_attempt/);
      assert.doesNotMatch(ddl, /PERSISTENT|DROP|CHANGE COLUMN/);
      assert.doesNotMatch(ddl, /MODIFY COLUMN (?!status ENUM)/, 'only a status ENUM is ever modified');
      const idType = variant.ddl[1].match(/id (\w+(?: UNSIGNED)?) NOT NULL AUTO_INCREMENT/)?.[1] ?? '';
      assert.match(ddl, new RegExp(`invoice_id {16}${idType} NOT NULL`), 'payment_attempt.invoice_id typed like invoice.id');
      assert.match(ddl, new RegExp(`in_flight_invoice_id {6}${idType} AS .* STORED`));
      if (/ENUM\('pending','paid','void'\)/.test(variant.ddl[1])) {
        assert.match(ddl, /MODIFY COLUMN status ENUM\('pending','paid','void','processing','requires_auth','failed'\) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT 'pending', ALGORITHM=INSTANT/);
      }
      if (/COMMENT 'billing state'/.test(variant.ddl[1])) {
        assert.match(ddl, /ENUM\('draft','pending','paid','processing','requires_auth','failed'\) CHARACTER SET latin1 COLLATE latin1_bin NULL DEFAULT 'draft' COMMENT 'billing state'/);
      }
      if (variant.foreignStatus === 'PENDING') {
        assert.ok(plan.warnings.some((w) => /case-insensitive collation.*1 row\(s\) differ only in case/.test(w)), plan.warnings.join('\n'));
      }
      if (/created_at TIMESTAMP/.test(variant.ddl[1])) {
        assert.doesNotMatch(ddl, /ALTER TABLE invoice[^;]*ADD COLUMN created_at/, 'an existing created_at is kept');
      }

      const applied = await migrate(url);
      assert.deepEqual(applied, listMigrations().map((m) => m.name), 'baseline adopted, later files applied');
      // Existing rows keep their values; original columns keep their types.
      const afterAdoption = await catalogue(db);
      for (const column of before.columns) {
        const now = afterAdoption.columns.find((c) => c.table_name === column.table_name && c.column_name === column.column_name);
        const where = `${String(column.table_name)}.${String(column.column_name)}`;
        if (column.column_name === 'status' && /enum/.test(String(column.column_type))) {
          // Only extended: the existing members keep their positions (their stored values).
          assert.ok(String(now?.column_type).startsWith(String(column.column_type).slice(0, -1)), `${where}: ${String(now?.column_type)}`);
          continue;
        }
        assert.deepEqual(now, column, `${where} unchanged`);
      }
      const [[old]] = await db.query<RowDataPacket[]>('SELECT * FROM invoice WHERE id = ?', [historic]);
      assert.equal(old.status, 'paid');
      assert.equal(Number(old.amount_cents), 4200);
      assert.equal(old.stripe_payment_intent_id, 'pi_from_before');
      assert.equal(old.currency, 'usd');
      assert.equal(Number(old.attempt_count), 0);

      // The business's application goes on inserting with the original columns only.
      const businessInsert = await invoice(visaId, 'pending', FUTURE_DUE, 1234);
      assert.ok(businessInsert > notYetDue);

      // Re-running is a no-op, and the adoption plan is empty.
      assert.deepEqual(await migrate(url), []);
      const again = await planMigrations(url);
      assert.equal(again.mode, 'up-to-date');
      assert.deepEqual(again.statements, []);
      assert.deepEqual(await catalogue(db), afterAdoption);

      // A real run over the adopted tables.
      const taskQueue = uniqueTaskQueue(`adopt-${variant.name}`);
      const worker: Worker = await createTestWorker(env, { taskQueue, activities: createActivities({ db, stripe: s.stripe }) });
      const summary = await worker.runUntil(env.client.workflow.execute(chargePendingInvoices, {
        taskQueue, workflowId: `${taskQueue}-run`, args: [{}],
      }));
      const reported = new Map(summary.results.map((r) => [r.invoice_id, r.status]));
      assert.deepEqual(reported, new Map([[due, 'paid'], [declines, 'failed']]));

      const [rows] = await db.query<RowDataPacket[]>('SELECT id, status, amount_cents, stripe_payment_intent_id, attempt_count FROM invoice ORDER BY id');
      const byId = new Map(rows.map((r) => [Number(r.id), r]));
      assert.equal(byId.get(due)?.status, 'paid');
      assert.equal(byId.get(declines)?.status, 'failed');
      assert.equal(byId.get(historic)?.status, 'paid');
      assert.equal(byId.get(notYetDue)?.status, 'pending');
      assert.equal(byId.get(businessInsert)?.status, 'pending');
      if (foreign !== undefined) assert.equal(byId.get(foreign)?.status, variant.foreignStatus, 'a status the service does not own is left alone');
      const ledger = s.stack.stripe.ledger();
      const charges = (id: number) => ledger.filter((e) => e.metadata.invoice_id === String(id));
      assert.equal(charges(due).length, 1);
      assert.equal(charges(due)[0].amount, 5000);
      assert.equal(charges(due)[0].paymentIntentId, byId.get(due)?.stripe_payment_intent_id);
      for (const id of [historic, notYetDue, businessInsert, declines, ...(foreign === undefined ? [] : [foreign])]) {
        assert.equal(charges(id).length, 0, `no charge for invoice ${id}`);
      }
      const [attempts] = await db.query<RowDataPacket[]>('SELECT invoice_id, outcome FROM payment_attempt ORDER BY invoice_id');
      assert.deepEqual(attempts.map((a) => [Number(a.invoice_id), String(a.outcome)]), [[due, 'paid'], [declines, 'failed']]);
    });
  }

  it('refuses a table that cannot work, naming what is missing, and changes nothing', async () => {
    const { url, db } = await businessDatabase('refused', [
      'CREATE TABLE customer (id INT PRIMARY KEY, stripe_customer_id VARCHAR(255), stripe_payment_method_id VARCHAR(255))',
      'CREATE TABLE invoice (id INT PRIMARY KEY, customer_id INT, status VARCHAR(8), due_date VARCHAR(10), total DECIMAL(10,2))',
    ]);
    const before = await catalogue(db);
    for (const attempt of [() => planMigrations(url), () => migrate(url)]) {
      await assert.rejects(attempt(), (err: Error) => {
        assert.match(err.message, /cannot adopt the existing tables/);
        assert.match(err.message, /invoice has no column amount_cents \(an integer amount in minor units/);
        assert.match(err.message, /invoice\.due_date is varchar\(10\); it must be a DATE, DATETIME or TIMESTAMP/);
        assert.match(err.message, /invoice\.status is varchar\(8\); the service writes 'requires_auth' \(13 characters\)/);
        return true;
      });
    }
    const afterRefusal = await catalogue(db);
    assert.deepEqual(afterRefusal.columns, before.columns);
    assert.deepEqual(afterRefusal.indexes, before.indexes);
    // migrate may create its own bookkeeping table, nothing of the business's.
    assert.deepEqual(afterRefusal.tables.map((t) => String(t.table_name)).filter((n) => n !== 'schema_migrations'), before.tables.map((t) => String(t.table_name)));
  });

  it('a freshly migrated database needs no adoption DDL (the adoption spec equals the migration files)', async () => {
    const { url } = await businessDatabase('fresh', []);
    const fresh = await planMigrations(url);
    assert.equal(fresh.mode, 'fresh');
    assert.ok(fresh.statements.every((st) => !/PERSISTENT/.test(st)), 'STORED, valid on MySQL 8 too');
    assert.deepEqual(await migrate(url), listMigrations().map((m) => m.name));
    const conn = await mysql.createConnection({ uri: url });
    try {
      const adoption = await planAdoption(conn);
      assert.deepEqual(adoption.statements, []);
      assert.deepEqual(adoption.warnings, []);
    } finally {
      await conn.end();
    }
  });
});
