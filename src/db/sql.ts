/**
 * The database plumbing every SQL module shares: the pool and transaction types, the one
 * transaction runner, and readers that turn a driver row's loose values into typed fields.
 */
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

export type Db = Pool;
export type Tx = PoolConnection;
export type Row = RowDataPacket;

const TRANSIENT_LOCK_ERRORS = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const LOCK_RETRIES = 3;

/**
 * Runs `work` in a READ COMMITTED transaction (row locks only, no gap locks between concurrent
 * claims). A deadlock rolls everything back, so the whole unit is simply run again.
 */
export async function withTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const tx = await db.getConnection();
    try {
      await tx.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
      await tx.beginTransaction();
      const result = await work(tx);
      await tx.commit();
      return result;
    } catch (err) {
      await tx.rollback().catch(() => undefined);
      const code = (err as { code?: string }).code;
      if (attempt >= LOCK_RETRIES || code === undefined || !TRANSIENT_LOCK_ERRORS.has(code)) throw err;
    } finally {
      tx.release();
    }
  }
}

// Typed row readers: one place that knows how the driver hands values over.
export const int = (v: unknown): number => Number(v);
export const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const text = (v: unknown): string => String(v);
export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : (v as Date));
export const date = (v: unknown): Date => v as Date;
export const flag = (v: unknown): boolean => Number(v) === 1;

/** Messages stored in the 1000-character failure columns. */
export function truncate(message: string): string;
export function truncate(message: string | undefined): string | null;
export function truncate(message: string | undefined): string | null {
  if (message === undefined) return null;
  return message.length > 1000 ? `${message.slice(0, 997)}...` : message;
}
