import type { RowDataPacket } from 'mysql2/promise';
import type { Pool } from '../../src/db/pool';

/**
 * Empties every table but schema_migrations, for the private dev/test databases only (tests,
 * chaos suite, benchmarks): never point it at a real one.
 */
export async function emptyTables(pool: Pool): Promise<void> {
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
