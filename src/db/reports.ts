/** Read-only reporting: invoices by state, with their attempts, next retry and last decline. */
import type { Db, Row } from './sql';

export interface InvoiceReportRow {
  id: number;
  status: string;
  amountCents: number | null;
  currency: string;
  dueDate: Date | null;
  attempts: number;
  retries: number;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date | null;
  lastFailure: string | null;
  dunningStoppedReason: string | null;
  paymentIntentId: string | null;
  /** The latest dunning decision: the rule that fired, its reason and inputs (JSON), when it was made. */
  decision: { rule: string; reason: string; inputs: string; decidedAt: Date; action: string } | null;
}

export async function listInvoicesForReport(db: Db, q: { statuses: string[]; limit: number }): Promise<InvoiceReportRow[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT i.id, i.status, i.amount_cents, i.currency, i.due_date, i.next_attempt_at, i.failure_code, i.decline_code,
            i.dunning_stopped_reason, i.stripe_payment_intent_id,
            COUNT(a.id) AS attempts, COALESCE(SUM(a.is_retry), 0) AS retries, MAX(a.started_at) AS last_attempt_at,
            -- At most one decision row joins per invoice, so MAX() is that row's value (portable ANY_VALUE).
            MAX(d.rule) AS decision_rule, MAX(d.reason) AS decision_reason, MAX(d.inputs) AS decision_inputs,
            MAX(d.decided_at) AS decided_at, MAX(d.action) AS decision_action
       FROM invoice i LEFT JOIN payment_attempt a ON a.invoice_id = i.id AND a.idempotency_key IS NOT NULL
       LEFT JOIN dunning_decision d ON d.id = (SELECT MAX(x.id) FROM dunning_decision x WHERE x.invoice_id = i.id)
      WHERE i.status IN (?)
      GROUP BY i.id
      ORDER BY i.id
      LIMIT ?`,
    [q.statuses, q.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    status: String(r.status),
    amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
    currency: String(r.currency),
    dueDate: r.due_date as Date | null,
    attempts: Number(r.attempts),
    retries: Number(r.retries),
    lastAttemptAt: r.last_attempt_at as Date | null,
    nextAttemptAt: r.next_attempt_at as Date | null,
    lastFailure: r.failure_code ? [r.failure_code, r.decline_code].filter(Boolean).join('/') : null,
    dunningStoppedReason: r.dunning_stopped_reason as string | null,
    paymentIntentId: r.stripe_payment_intent_id as string | null,
    decision: r.decision_rule === null || r.decision_rule === undefined ? null : {
      rule: String(r.decision_rule), reason: String(r.decision_reason), inputs: String(r.decision_inputs),
      decidedAt: r.decided_at as Date, action: String(r.decision_action),
    },
  }));
}

/** The runs holding `processing` claims: how many each, and since when (oldest first). */
export interface ClaimHolderRow {
  claimRunId: string | null;
  count: number;
  oldestClaimedAt: Date | null;
  leaseExpiresAt: Date | null;
}

export async function listClaimHolders(db: Db, q: { exceptRunId?: string; limit: number }): Promise<ClaimHolderRow[]> {
  const [rows] = await db.query<Row[]>(
    `SELECT claim_run_id, COUNT(*) AS n, MIN(claimed_at) AS oldest, MIN(lease_expires_at) AS lease
       FROM invoice
      WHERE status = 'processing' AND (claim_run_id IS NULL OR claim_run_id <> ?)
      GROUP BY claim_run_id
      ORDER BY MIN(claimed_at)
      LIMIT ?`,
    [q.exceptRunId ?? '', q.limit],
  );
  return rows.map((r) => ({
    claimRunId: r.claim_run_id === null ? null : String(r.claim_run_id),
    count: Number(r.n),
    oldestClaimedAt: r.oldest as Date | null,
    leaseExpiresAt: r.lease as Date | null,
  }));
}
