/**
 * SQL for decline-aware retries: the counts the retry limits need, the per-card budget lock and
 * the decision log (due retries are listed in invoices.ts).
 */
import type { DunningDecisionRecord } from '../billing/dunning-decision';
import { date, int, textOrNull, type Db, type Row, type Tx } from './sql';

/** Attempts that reached Stripe (they have a key) and were not proven uncharged. */
const CHARGE_ATTEMPT = "idempotency_key IS NOT NULL AND outcome <> 'released'";

export async function countChargeAttempts(conn: Db | Tx, invoiceId: number): Promise<number> {
  const [rows] = await conn.query<Row[]>(
    `SELECT COUNT(*) AS n FROM payment_attempt WHERE invoice_id = ? AND ${CHARGE_ATTEMPT}`,
    [invoiceId],
  );
  return int(rows[0]?.n ?? 0);
}

export interface KnownCard {
  fingerprint: string;
  network: string | null;
}

/** The card behind a payment method, as an earlier decline of it reported (none: never seen declining). */
export async function knownCard(conn: Db | Tx, paymentMethodId: string): Promise<KnownCard | undefined> {
  const [rows] = await conn.query<Row[]>(
    `SELECT card_fingerprint, card_network FROM payment_attempt
      WHERE stripe_payment_method_id = ? AND card_fingerprint IS NOT NULL
      ORDER BY started_at DESC LIMIT 1`,
    [paymentMethodId],
  );
  const fingerprint = textOrNull(rows[0]?.card_fingerprint);
  return fingerprint === null ? undefined : { fingerprint, network: textOrNull(rows[0]?.card_network) };
}

/**
 * When every charge attempt on the card since `since` started, across all invoices: by
 * fingerprint, plus attempts written before fingerprints were recorded (migration 004) on the
 * same payment method. Two index ranges, not an OR, so each uses its own index.
 */
export async function cardAttemptTimes(conn: Db | Tx, q: { fingerprint: string; paymentMethodId: string; since: Date }): Promise<Date[]> {
  const [rows] = await conn.query<Row[]>(
    `SELECT started_at FROM payment_attempt
      WHERE card_fingerprint = ? AND started_at > ? AND ${CHARGE_ATTEMPT}
     UNION ALL
     SELECT started_at FROM payment_attempt
      WHERE stripe_payment_method_id = ? AND started_at > ? AND card_fingerprint IS NULL AND ${CHARGE_ATTEMPT}`,
    [q.fingerprint, q.since, q.paymentMethodId, q.since],
  );
  return rows.map((r) => date(r.started_at));
}

/**
 * Takes the card's budget lock for the rest of the transaction: concurrent retries on one card
 * (other invoices, other customers) check and use its budget one after the other.
 */
export async function lockCardBudget(tx: Tx, fingerprint: string, now: Date): Promise<void> {
  await tx.query(
    'INSERT INTO card_budget_lock (card_fingerprint, locked_at) VALUES (?, ?) ON DUPLICATE KEY UPDATE locked_at = ?',
    [fingerprint, now, now],
  );
}

/** Appends a decision to the log: the rule that fired and its inputs, for "why" in reports. */
export async function insertDunningDecision(
  tx: Tx, d: { invoiceId: number; attemptNumber: number; decidedAt: Date; decision: DunningDecisionRecord },
): Promise<void> {
  await tx.query(
    `INSERT INTO dunning_decision (invoice_id, attempt_number, decided_at, action, rule, reason, next_attempt_at, inputs)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      d.invoiceId, d.attemptNumber, d.decidedAt, d.decision.action, d.decision.rule.slice(0, 128),
      d.decision.reason.slice(0, 1024), d.decision.nextAttemptAt, JSON.stringify(d.decision.inputs),
    ],
  );
}
