/**
 * The --db-scale data: a business's own `invoice` and `customer` tables (original columns only,
 * as before adoption), filled fast with INSERT … SELECT over a numbers table (no row-by-row
 * client round trips, nothing unsafe disabled).
 *
 * Shape for N invoices (ids in time order over five years):
 *   ids 1 … 0.99·N        paid (every 2000th: failed long ago, dunning stopped)
 *   the last 1 %          pending; the first 30 % of them due (0.3 % of N, over the past 30 days,
 *                         every 997th without a due date), the next 3 % failed (dunning: half of
 *                         them due for a retry), the rest due within the next 60 days.
 * Customers: N / 100, each with a card on file.
 */
import type { Pool } from '../src/db/pool';

export const DAY_MS = 86_400_000;

export interface FillShape {
  invoices: number;
  customers: number;
  /** Last history id (paid or long-failed). */
  historyEnd: number;
  /** Tail boundaries: pending-due up to dueEnd, failed up to failedEnd, then pending-not-due. */
  dueEnd: number;
  failedEnd: number;
}

export function fillShape(invoices: number): FillShape {
  const historyEnd = Math.floor(invoices * 0.99);
  const tail = invoices - historyEnd;
  return {
    invoices,
    customers: Math.max(1, Math.floor(invoices / 100)),
    historyEnd,
    dueEnd: historyEnd + Math.floor(tail * 0.3),
    failedEnd: historyEnd + Math.floor(tail * 0.33),
  };
}

/** The original job's tables, as a business has them before `npm run migrate`. */
export const BUSINESS_TABLES = [
  `CREATE TABLE customer (
     id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     stripe_customer_id VARCHAR(255) NULL,
     stripe_payment_method_id VARCHAR(255) NULL
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE invoice (
     id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     customer_id BIGINT UNSIGNED NULL,
     status VARCHAR(32) NOT NULL DEFAULT 'pending',
     due_date DATETIME NULL,
     amount_cents BIGINT NULL,
     paid_at DATETIME(3) NULL,
     stripe_payment_intent_id VARCHAR(255) NULL,
     KEY idx_business_customer (customer_id)
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

/** Fills empty business tables; `now` anchors the time shape (stored in bench_meta). */
export async function fillBusinessTables(db: Pool, invoices: number, now: Date, log: (m: string) => void): Promise<void> {
  const s = fillShape(invoices);
  for (const ddl of BUSINESS_TABLES) await db.query(ddl);
  await db.query('CREATE TABLE bench_meta (filled_at DATETIME(3) NOT NULL, invoices BIGINT NOT NULL)');
  // 1 … 1,000,000 from a cross join of digits: portable, no recursion limit to raise.
  await db.query('CREATE TABLE bench_digit (d INT NOT NULL PRIMARY KEY)');
  await db.query('INSERT INTO bench_digit VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
  await db.query('CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY)');
  await db.query(
    `INSERT INTO bench_seq (n)
     SELECT 1 + a.d + 10*b.d + 100*c.d + 1000*d.d + 10000*e.d + 100000*f.d
       FROM bench_digit a, bench_digit b, bench_digit c, bench_digit d, bench_digit e, bench_digit f`,
  );
  const chunk = 1_000_000;
  for (let base = 0; base < s.customers; base += chunk) {
    await db.query(
      `INSERT INTO customer (id, stripe_customer_id, stripe_payment_method_id)
       SELECT ? + n, CONCAT('cus_b', ? + n), CONCAT('pm_b', ? + n) FROM bench_seq WHERE n <= ?`,
      [base, base, base, Math.min(chunk, s.customers - base)],
    );
  }
  const start = new Date(now.getTime() - 5 * 365 * DAY_MS);
  const historySpanSeconds = (5 * 365 - 45) * 86_400;
  for (let base = 0; base < invoices; base += chunk) {
    const t0 = Date.now();
    // k = id. History: created evenly over five years, due 14 days later, paid an hour after.
    await db.query(
      `INSERT INTO invoice (id, customer_id, status, due_date, amount_cents, paid_at, stripe_payment_intent_id)
       SELECT k, 1 + k % ?,
              CASE WHEN k <= ? THEN IF(k % 2000 = 0, 'failed', 'paid')
                   WHEN k > ? AND k <= ? THEN 'failed'
                   ELSE 'pending' END,
              CASE WHEN k <= ? THEN ? + INTERVAL FLOOR((k / ?) * ?) SECOND + INTERVAL 14 DAY
                   WHEN k <= ? AND k % 997 = 0 THEN NULL
                   WHEN k <= ? THEN ? - INTERVAL 30 DAY + INTERVAL FLOOR(((k - ?) / ?) * 30 * 86400) SECOND
                   ELSE ? + INTERVAL 1 DAY + INTERVAL FLOOR(((k - ?) / ?) * 60 * 86400) SECOND END,
              1000 + k % 9000,
              IF(k <= ? AND k % 2000 <> 0, ? + INTERVAL FLOOR((k / ?) * ?) SECOND + INTERVAL 14 DAY + INTERVAL 1 HOUR, NULL),
              IF(k <= ? AND k % 2000 <> 0, CONCAT('pi_hist_', k), NULL)
         FROM (SELECT ? + n AS k FROM bench_seq WHERE n <= ?) seq`,
      [
        s.customers,
        s.historyEnd, s.dueEnd, s.failedEnd,
        s.historyEnd, start, s.historyEnd, historySpanSeconds,
        s.dueEnd,
        s.failedEnd, now, s.historyEnd, s.failedEnd - s.historyEnd,
        now, s.failedEnd, invoices - s.failedEnd,
        s.historyEnd, start, s.historyEnd, historySpanSeconds,
        s.historyEnd,
        base, Math.min(chunk, invoices - base),
      ],
    );
    log(`  invoice ${base + Math.min(chunk, invoices - base)}/${invoices} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await db.query('DROP TABLE bench_digit');
  await db.query('INSERT INTO bench_meta VALUES (?, ?)', [now, invoices]);
}

/**
 * After adoption: the dunning state the service would have written for failed invoices. Long-failed
 * ones stopped retrying on the card on file; recent ones retry (half due now), and one in ten of
 * those failed on a card the customer has since replaced (eligible at once).
 */
export async function fillDunningState(db: Pool, invoices: number, now: Date): Promise<void> {
  const s = fillShape(invoices);
  await db.query(
    `UPDATE invoice i JOIN customer c ON c.id = i.customer_id
        SET i.attempt_count = 4, i.failure_code = 'card_declined', i.decline_code = 'insufficient_funds',
            i.first_failed_at = i.due_date, i.failed_payment_method_id = c.stripe_payment_method_id,
            i.dunning_stopped_reason = 'attempts_exhausted'
      WHERE i.status = 'failed' AND i.id <= ?`,
    [s.historyEnd],
  );
  await db.query(
    `UPDATE invoice i JOIN customer c ON c.id = i.customer_id
        SET i.attempt_count = 1, i.failure_code = 'card_declined', i.decline_code = 'insufficient_funds',
            i.first_failed_at = i.due_date,
            i.failed_payment_method_id = IF(i.id % 10 = 0, 'pm_replaced', c.stripe_payment_method_id),
            i.next_attempt_at = IF(i.id % 2 = 0, ? - INTERVAL 1 HOUR, ? + INTERVAL 2 DAY)
      WHERE i.id > ? AND i.id <= ?`,
    [now, now, s.dueEnd, s.failedEnd],
  );
}
