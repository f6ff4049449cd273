import mysql from 'mysql2/promise';
import { explainMysqlError } from './connect-errors';
import { mysqlSslOptions, mysqlTlsOrThrow, stripTlsParams, type MysqlTls } from './tls';

export type Pool = mysql.Pool;

export interface PoolOptions {
  connectionLimit: number;
  /** From loadConfig (src/db/tls.ts); omitted: only MYSQL_URL's ssl-* parameters count. */
  tls?: MysqlTls;
}

/**
 * A mysql2 pool whose values round-trip without surprises: DATETIMEs are UTC `Date`s on both
 * sides (money and time are always UTC here), DECIMALs are numbers, BIGINTs are numbers while
 * they are safe integers and strings beyond that.
 */
export function createPool(mysqlUrl: string, { connectionLimit, tls = mysqlTlsOrThrow(mysqlUrl, {}) }: PoolOptions): Pool {
  const pool = mysql.createPool({
    uri: stripTlsParams(mysqlUrl),
    ...(tls && { ssl: mysqlSslOptions(tls) }),
    connectionLimit,
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    connectTimeout: 10_000,
  });
  // The driver converts Dates with timezone 'Z'; the session must agree so that NOW(),
  // CURRENT_TIMESTAMP defaults and TIMESTAMP columns are UTC as well. Commands on a connection
  // run in order, so this runs before the query that caused the connection to be opened.
  pool.pool.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'", (err) => {
      if (err) connection.destroy();
    });
  });
  targets.set(pool, { target: describeMysqlUrl(mysqlUrl), tlsConfigured: tls !== undefined });
  return pool;
}

/** `host:port/database` of a MySQL URL, for messages: never the user or password. */
export function describeMysqlUrl(mysqlUrl: string): string {
  try {
    const u = new URL(mysqlUrl);
    return `${u.hostname}:${u.port || '3306'}${u.pathname}`;
  } catch {
    return 'an unparsable URL';
  }
}

const targets = new WeakMap<Pool, { target: string; tlsConfigured: boolean }>();

/** Fails fast with a message that says what to check, instead of a bare ECONNREFUSED later. */
export async function checkDatabase(pool: Pool): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    const about = targets.get(pool);
    throw explainMysqlError(err, about?.target ?? 'the configured host', { tlsConfigured: about?.tlsConfigured ?? false });
  }
}
