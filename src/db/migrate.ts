import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { Umzug, type UmzugStorage } from 'umzug';
import { AdoptionRefused, planAdoption } from './adoption';
import { describeMysqlUrl } from './pool';
import { mysqlSslOptions, mysqlTlsOrThrow, stripTlsParams, type MysqlTls } from './tls';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const LOCK_NAME = 'invoice_charging_schema_migrations';
const LOCK_TIMEOUT_SECONDS = 60;
/**
 * The migrations whose schema src/db/adoption.ts reproduces on existing tables. A database that
 * already has invoice/customer but not these gets the adoption DDL instead, and these are recorded
 * as applied; later migrations run as files on every database, so they must be written for both.
 */
export const BASELINE_MIGRATIONS = ['001_initial_schema.sql', '002_dunning_and_stripe_events.sql'];

type Connection = mysql.Connection;

/** Records applied migrations by file name in `schema_migrations`. */
function mysqlStorage(connection: Connection): UmzugStorage {
  return {
    async logMigration({ name }) {
      await connection.query('INSERT INTO schema_migrations (name) VALUES (?)', [name]);
    },
    async unlogMigration({ name }) {
      await connection.query('DELETE FROM schema_migrations WHERE name = ?', [name]);
    },
    async executed() {
      const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT name FROM schema_migrations ORDER BY name');
      return rows.map((r) => String(r.name));
    },
  };
}

/** `NNN_description.sql` files, in file-name order. */
export function listMigrations(dir = MIGRATIONS_DIR): { name: string; path: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, path: path.join(dir, name) }));
}

export interface MigrateOptions {
  dir?: string;
  log?: (message: string) => void;
  /** Print nothing, change nothing: return the statements that would run. */
  plan?: boolean;
  /** TLS settings (src/db/tls.ts); omitted: MYSQL_URL's ssl-* parameters only. */
  tls?: MysqlTls;
}

export interface MigrationPlan {
  /** 'fresh': migration files on an empty database; 'adopt': existing tables get the adoption DDL. */
  mode: 'fresh' | 'adopt' | 'up-to-date' | 'files';
  statements: string[];
  warnings: string[];
  server: string;
}

/**
 * Applies pending `src/db/migrations/*.sql` files in order; returns the names it applied.
 * Safe to run concurrently (a named lock serialises runners) and repeatedly (applied files are
 * skipped). MySQL DDL is not transactional: a file that fails half-way leaves its earlier
 * statements applied and is not recorded, so keep one change per file. On a database that
 * already holds the business's invoice and customer tables, the baseline migrations are replaced
 * by the adoption DDL computed from information_schema (src/db/adoption.ts), which converges:
 * an interrupted adoption simply continues where it stopped on the next run.
 */
export async function migrate(mysqlUrl: string, options: Omit<MigrateOptions, 'plan'> = {}): Promise<string[]> {
  return (await runMigrations(mysqlUrl, { ...options, plan: false })).applied;
}

/** The exact statements `migrate` would run on this database, without changing anything. */
export async function planMigrations(mysqlUrl: string, options: Omit<MigrateOptions, 'plan'> = {}): Promise<MigrationPlan> {
  return (await runMigrations(mysqlUrl, { ...options, plan: true })).plan;
}

async function connect(mysqlUrl: string, tls = mysqlTlsOrThrow(mysqlUrl, {})): Promise<Connection> {
  try {
    // multipleStatements only here: a migration file holds several statements; app queries
    // never get this (it widens the blast radius of SQL injection).
    return await mysql.createConnection({
      uri: stripTlsParams(mysqlUrl),
      ...(tls && { ssl: mysqlSslOptions(tls) }),
      multipleStatements: true,
      timezone: 'Z',
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot reach MySQL at ${describeMysqlUrl(mysqlUrl)} (${reason}): is it running? check MYSQL_URL`, {
      cause: err,
    });
  }
}

async function tableExists(connection: Connection, name: string): Promise<boolean> {
  const [rows] = await connection.query<mysql.RowDataPacket[]>(
    'SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
    [name],
  );
  return rows.length > 0;
}

async function runMigrations(mysqlUrl: string, options: MigrateOptions): Promise<{ applied: string[]; plan: MigrationPlan }> {
  const log = options.log ?? (() => undefined);
  const connection = await connect(mysqlUrl, options.tls);
  try {
    await connection.query("SET time_zone = '+00:00'");
    const [[lock]] = await connection.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [
      LOCK_NAME,
      LOCK_TIMEOUT_SECONDS,
    ]);
    if (lock?.ok !== 1) throw new Error(`another migration run held the lock for ${LOCK_TIMEOUT_SECONDS}s`);
    const [[version]] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
    const server = String(version?.v ?? '?');

    const hasLog = await tableExists(connection, 'schema_migrations');
    if (!hasLog && !options.plan) {
      await connection.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        name       VARCHAR(255) NOT NULL PRIMARY KEY,
        applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    }
    const storage = mysqlStorage(connection);
    const executed = new Set(hasLog || !options.plan ? await storage.executed({ context: undefined }) : []);
    const files = listMigrations(options.dir);
    const baselinePending = BASELINE_MIGRATIONS.some((name) => !executed.has(name));
    const existing = (await tableExists(connection, 'invoice')) || (await tableExists(connection, 'customer'));
    const adopting = baselinePending && existing;

    const statements: string[] = [];
    const warnings: string[] = [];
    const applied: string[] = [];
    if (adopting) {
      const adoption = await planAdoption(connection);
      warnings.push(...adoption.warnings);
      statements.push(...adoption.statements);
      if (!options.plan) {
        for (const warning of adoption.warnings) log(`warning: ${warning}`);
        for (const statement of adoption.statements) {
          log(`adopt: ${statement.split('\n')[0]}…`);
          await connection.query(statement);
        }
        const rest = await planAdoption(connection);
        if (rest.statements.length > 0) throw new Error(`adoption left statements to run:\n${rest.statements.join(';\n')}`);
        for (const name of BASELINE_MIGRATIONS) {
          if (executed.has(name)) continue;
          await storage.logMigration({ name, context: undefined });
          executed.add(name);
          applied.push(name);
          log(`adopted existing tables for migration ${name}`);
        }
      }
    }
    const pending = files.filter((m) => !executed.has(m.name) && !(adopting && BASELINE_MIGRATIONS.includes(m.name)));
    if (options.plan) {
      for (const m of pending) statements.push(`-- ${m.name}\n${readFileSync(m.path, 'utf8').trim()}`);
      const mode = adopting ? 'adopt' : statements.length === 0 ? 'up-to-date' : executed.size === 0 ? 'fresh' : 'files';
      return { applied, plan: { mode, statements, warnings, server } };
    }

    const umzug = new Umzug({
      migrations: files.map((m) => ({
        name: m.name,
        path: m.path,
        up: async () => {
          await connection.query(readFileSync(m.path, 'utf8'));
        },
      })),
      storage,
      logger: undefined,
    });
    const ran = await umzug.up();
    for (const m of ran) log(`applied migration ${m.name}`);
    applied.push(...ran.map((m) => m.name));
    return { applied, plan: { mode: adopting ? 'adopt' : 'files', statements, warnings, server } };
  } finally {
    await connection.query('DO RELEASE_LOCK(?)', [LOCK_NAME]).catch(() => undefined);
    await connection.end().catch(() => undefined);
  }
}

export { AdoptionRefused };

// CLI: `npm run migrate [-- --url mysql://…]`. MYSQL_URL alone is read here, not the whole app
// config: migrating needs no Stripe key.
if (require.main === module) {
  const urlFlag = process.argv.indexOf('--url');
  const url = urlFlag >= 0 ? process.argv[urlFlag + 1] : process.env.MYSQL_URL;
  const planOnly = process.argv.includes('--plan');
  if (!url) {
    console.error('migrate: set MYSQL_URL (e.g. mysql://root@127.0.0.1:3307/invoices) or pass --url');
    process.exit(2);
  }
  let tls: MysqlTls | undefined;
  try {
    tls = mysqlTlsOrThrow(url, process.env);
  } catch (err) {
    console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  }
  const done = planOnly
    ? planMigrations(url, { tls }).then((plan) => {
      console.log(`-- server ${plan.server}; ${plan.mode === 'adopt' ? 'adopting existing tables' : plan.mode}`);
      for (const warning of plan.warnings) console.log(`-- warning: ${warning}`);
      if (plan.statements.length === 0) console.log('-- nothing to do: the schema is up to date');
      for (const statement of plan.statements) console.log(`${statement.replace(/;\s*$/, '')};\n`);
      console.log('-- plan only: nothing was changed');
    })
    : migrate(url, { log: (m) => console.log(m), tls }).then((applied) => {
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'schema is up to date');
    });
  done.catch((err: unknown) => {
    console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
