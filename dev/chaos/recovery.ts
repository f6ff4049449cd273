/**
 * After a scenario's runs have ended: bank debits settle at Stripe, time passes beyond every
 * claim's lease, and the next run resolves what was left — with each attempt's original key.
 *
 * "Time passes" is done by moving lease_expires_at of the leftover claims into the past (what
 * 30 minutes of waiting would do), only once no run of the scenario is alive any more.
 */
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { StripeSimulator } from '../stack/stack';
import type { Pool } from '../../src/db/pool';
import { settlementFor } from './data-set';
import { awaitRun, type RunRecord } from './runs';

export interface RecoveryReport {
  /** Recovery runs started. */
  runs: number;
  /** Claims left by runs that ended with the outcome unknown (attempt in flight), taken over after their lease. */
  abandonedClaims: number;
  /** Bank debits settled at the simulator. */
  settled: number;
}

const MAX_ROUNDS = 3;

export async function recover(
  db: Pool, stripe: StripeSimulator, startRecoveryRun: () => Promise<RunRecord>, deadline: number,
): Promise<{ report: RecoveryReport; runs: RunRecord[] }> {
  const report: RecoveryReport = { runs: 0, abandonedClaims: 0, settled: 0 };
  const runs: RunRecord[] = [];
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    report.settled += await settleBankDebits(db, stripe);
    report.abandonedClaims += await expireLeftoverClaims(db);
    const run = await startRecoveryRun();
    runs.push(run);
    report.runs += 1;
    await awaitRun(run, deadline);
    if ((await processingCount(db)) === 0) break;
  }
  return { report, runs };
}

async function settleBankDebits(db: Pool, stripe: StripeSimulator): Promise<number> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT i.id, a.stripe_payment_intent_id AS pi FROM invoice i
       JOIN payment_attempt a ON a.invoice_id = i.id AND a.attempt_number = i.attempt_count
      WHERE i.status = 'processing' AND a.outcome = 'processing' AND a.stripe_payment_intent_id IS NOT NULL`,
  );
  for (const r of rows) stripe.settleProcessing(String(r.pi), settlementFor(Number(r.id)));
  return rows.length;
}

/** Expires every leftover claim; returns how many held an attempt whose outcome was unknown. */
async function expireLeftoverClaims(db: Pool): Promise<number> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT COUNT(*) AS n FROM invoice i JOIN payment_attempt a ON a.invoice_id = i.id AND a.attempt_number = i.attempt_count
      WHERE i.status = 'processing' AND a.outcome = 'in_flight'`,
  );
  await db.query<ResultSetHeader>("UPDATE invoice SET lease_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE status = 'processing'");
  return Number(rows[0]?.n ?? 0);
}

async function processingCount(db: Pool): Promise<number> {
  const [rows] = await db.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM invoice WHERE status = 'processing'");
  return Number(rows[0]?.n ?? 0);
}
