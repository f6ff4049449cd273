import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { Umzug, type UmzugStorage } from 'umzug';
import { describeMysqlUrl } from './pool';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');
const LOCK_NAME = 'invoice_charging_schema_migrations';
const LOCK_TIMEOUT_SECONDS = 60;

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

/**
 * Applies pending `src/db/migrations/*.sql` files in order; returns the names it applied.
 * Safe to run concurrently (a named lock serialises runners) and repeatedly (applied files are
 * skipped). MySQL DDL is not transactional: a file that fails half-way leaves its earlier
 * statements applied and is not recorded, so keep one change per file.
 */
export async function migrate(
  mysqlUrl: string,
  options: { dir?: string; log?: (message: string) => void } = {},
): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  let connection: Connection;
  try {
    // multipleStatements only here: a migration file holds several statements; app queries
    // never get this (it widens the blast radius of SQL injection).
    connection = await mysql.createConnection({ uri: mysqlUrl, multipleStatements: true, timezone: 'Z' });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot reach MySQL at ${describeMysqlUrl(mysqlUrl)} (${reason}): is it running? check MYSQL_URL`, {
      cause: err,
    });
  }
  try {
    await connection.query("SET time_zone = '+00:00'");
    const [[lock]] = await connection.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [
      LOCK_NAME,
      LOCK_TIMEOUT_SECONDS,
    ]);
    if (lock?.ok !== 1) throw new Error(`another migration run held the lock for ${LOCK_TIMEOUT_SECONDS}s`);
    await connection.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name       VARCHAR(255) NOT NULL PRIMARY KEY,
      applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    const umzug = new Umzug({
      migrations: listMigrations(options.dir).map((m) => ({
        name: m.name,
        path: m.path,
        up: async () => {
          await connection.query(readFileSync(m.path, 'utf8'));
        },
      })),
      storage: mysqlStorage(connection),
      logger: undefined,
    });
    const applied = await umzug.up();
    for (const m of applied) log(`applied migration ${m.name}`);
    return applied.map((m) => m.name);
  } finally {
    await connection.query('DO RELEASE_LOCK(?)', [LOCK_NAME]).catch(() => undefined);
    await connection.end().catch(() => undefined);
  }
}

// CLI: `npm run migrate [-- --url mysql://…]`. MYSQL_URL alone is read here, not the whole app
// config: migrating needs no Stripe key.
if (require.main === module) {
  const urlFlag = process.argv.indexOf('--url');
  const url = urlFlag >= 0 ? process.argv[urlFlag + 1] : process.env.MYSQL_URL;
  if (!url) {
    console.error('migrate: set MYSQL_URL (e.g. mysql://root@127.0.0.1:3307/invoices) or pass --url');
    process.exit(2);
  }
  migrate(url, { log: (m) => console.log(m) })
    .then((applied) => {
      console.log(applied.length ? `${applied.length} migration(s) applied` : 'schema is up to date');
    })
    .catch((err: unknown) => {
      console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
