/**
 * Every SQL statement that reads or moves an invoice or an attempt. All parameterised; every
 * status change names the status it moves from and the attempt that owns the claim, so the
 * transitions of src/billing/invoice-state.ts hold even under races.
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { InvoiceForCharge } from '../billing/charge-eligibility';
import type { InvoiceStatus } from '../billing/invoice-state';

export type Db = Pool;
export type Tx = PoolConnection;

export interface InvoiceRef {
  id: number;
  amountCents: number | null;
  currency: string;
}

export interface ClaimedInvoice extends InvoiceForCharge {
  claimRunId: string | null;
  leaseExpiresAt: Date | null;
  stripePaymentIntentId: string | null;
  /** Dunning: when a failed invoice may be charged again, and the card it last failed on. */
  nextAttemptAt: Date | null;
  firstFailedAt: Date | null;
  failedPaymentMethodId: string | null;
  /** Why the last attempt failed or was skipped. */
  failureCode: string | null;
}

/** The attempt outcomes stored in payment_attempt.outcome. */
export type AttemptOutcome =
  | 'in_flight' | 'paid' | 'requires_auth' | 'failed' | 'processing' | 'skipped'
  /** The claim was given back without a charge (systemic stop, or a server error that charged nothing). */
  | 'released';

export interface AttemptRecord {
  invoiceId: number;
  attemptNumber: number;
  /** A dunning retry of a failed invoice, not its first charge. */
  isRetry: boolean;
  idempotencyKey: string | null;
  stripeCustomerId: string | null;
  stripePaymentMethodId: string | null;
  stripePaymentIntentId: string | null;
  amountCents: number | null;
  currency: string | null;
  outcome: AttemptOutcome;
  runId: string;
  startedAt: Date;
}

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

function toRef(row: RowDataPacket): InvoiceRef {
  return { id: Number(row.id), amountCents: row.amount_cents === null ? null : Number(row.amount_cents), currency: String(row.currency) };
}

/**
 * Only the service's own states, byte for byte: under a case-insensitive collation `status =
 * 'pending'` also matches 'PENDING', which the service leaves alone (docs/adoption.md). The
 * equality still narrows the index range; this only filters within it.
 */
const EXACT_STATUS = (column: string, state: 'pending' | 'failed') => `${column} = '${state}' AND CAST(${column} AS BINARY) = '${state}'`;

/**
 * Keyset page of due invoices in (due_date, id) order, served by the index (status, due_date, id)
 * as one range that stops after `limit` entries, however many invoices are paid or not yet due.
 * The cursor stays the last listed id (the workflow's contract): its due_date is looked up by
 * primary key. Invoices without a due date come first (NULL sorts first in the index), so that
 * each run reports them (skipped: no_due_date) instead of never.
 */
export async function listDueInvoices(db: Db, q: { asOf: Date; afterId: number; limit: number }): Promise<InvoiceRef[]> {
  let after: { dueDate: Date | null; id: number } = { dueDate: null, id: 0 };
  if (q.afterId > 0) {
    const [cursor] = await db.query<RowDataPacket[]>('SELECT due_date FROM invoice WHERE id = ?', [q.afterId]);
    // A cursor row deleted meanwhile: start over; listing an invoice twice is harmless (the claim decides).
    after = { dueDate: (cursor[0]?.due_date as Date | null | undefined) ?? null, id: cursor[0] ? q.afterId : 0 };
  }
  const refs: InvoiceRef[] = [];
  if (after.dueDate === null) {
    const [undated] = await db.query<RowDataPacket[]>(
      `SELECT id, amount_cents, currency FROM invoice
        WHERE ${EXACT_STATUS('status', 'pending')} AND due_date IS NULL AND id > ?
        ORDER BY id LIMIT ?`,
      [after.id, q.limit],
    );
    refs.push(...undated.map(toRef));
    if (refs.length >= q.limit) return refs;
  }
  const [dated] = after.dueDate === null
    ? await db.query<RowDataPacket[]>(
      `SELECT id, amount_cents, currency FROM invoice
        WHERE ${EXACT_STATUS('status', 'pending')} AND due_date <= ?
        ORDER BY due_date, id LIMIT ?`,
      [q.asOf, q.limit - refs.length],
    )
    : await db.query<RowDataPacket[]>(
      `SELECT id, amount_cents, currency FROM invoice
        WHERE ${EXACT_STATUS('status', 'pending')} AND due_date <= ?
          AND (due_date > ? OR (due_date = ? AND id > ?))
        ORDER BY due_date, id LIMIT ?`,
      [q.asOf, after.dueDate, after.dueDate, after.id, q.limit],
    );
  refs.push(...dated.map(toRef));
  return refs;
}

/** Invoices whose claim outlived its lease: a run that ended without resolving them. */
export async function listExpiredClaims(db: Db, q: { now: Date; afterId: number; limit: number }): Promise<InvoiceRef[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT id, amount_cents, currency FROM invoice
      WHERE status = 'processing' AND lease_expires_at < ? AND id > ?
      ORDER BY id LIMIT ?`,
    [q.now, q.afterId, q.limit],
  );
  return rows.map(toRef);
}

/** Reads an invoice with its customer; `lock` takes the invoice row for the transaction. */
export async function loadInvoice(conn: Db | Tx, invoiceId: number, lock: boolean): Promise<ClaimedInvoice | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT id, status, due_date, amount_cents, currency, attempt_count, customer_id,
            claim_run_id, lease_expires_at, stripe_payment_intent_id,
            next_attempt_at, first_failed_at, failed_payment_method_id, failure_code
       FROM invoice WHERE id = ?${lock ? ' FOR UPDATE' : ''}`,
    [invoiceId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const customerId = row.customer_id === null ? null : Number(row.customer_id);
  let customer: ClaimedInvoice['customer'];
  if (customerId !== null) {
    const [customers] = await conn.query<RowDataPacket[]>(
      'SELECT stripe_customer_id, stripe_payment_method_id FROM customer WHERE id = ?',
      [customerId],
    );
    const c = customers[0];
    if (c) customer = { stripeCustomerId: c.stripe_customer_id as string | null, stripePaymentMethodId: c.stripe_payment_method_id as string | null };
  }
  return {
    id: Number(row.id),
    status: String(row.status),
    dueDate: row.due_date as Date | null,
    // BIGINT arrives as a number when it fits; DECIMAL-like strings would be rejected later.
    amountCents: row.amount_cents as unknown,
    currency: row.currency as unknown,
    attemptCount: Number(row.attempt_count),
    customerId,
    customer,
    claimRunId: row.claim_run_id as string | null,
    leaseExpiresAt: row.lease_expires_at as Date | null,
    stripePaymentIntentId: row.stripe_payment_intent_id as string | null,
    nextAttemptAt: row.next_attempt_at as Date | null,
    firstFailedAt: row.first_failed_at as Date | null,
    failedPaymentMethodId: row.failed_payment_method_id as string | null,
    failureCode: row.failure_code as string | null,
  };
}

export async function loadLatestAttempt(conn: Db | Tx, invoiceId: number): Promise<AttemptRecord | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT invoice_id, attempt_number, is_retry, idempotency_key, stripe_customer_id, stripe_payment_method_id,
            stripe_payment_intent_id, amount_cents, currency, outcome, run_id, started_at
       FROM payment_attempt WHERE invoice_id = ? ORDER BY attempt_number DESC LIMIT 1`,
    [invoiceId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    invoiceId: Number(r.invoice_id),
    attemptNumber: Number(r.attempt_number),
    isRetry: Number(r.is_retry) === 1,
    idempotencyKey: r.idempotency_key as string | null,
    stripeCustomerId: r.stripe_customer_id as string | null,
    stripePaymentMethodId: r.stripe_payment_method_id as string | null,
    stripePaymentIntentId: r.stripe_payment_intent_id as string | null,
    amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
    currency: r.currency as string | null,
    outcome: r.outcome as AttemptOutcome,
    runId: String(r.run_id),
    startedAt: r.started_at as Date,
  };
}

/** What a run's own finished attempt recorded: a retry of that run's activity reports it again. */
export interface RecordedOutcome {
  outcome: 'paid' | 'requires_auth' | 'failed';
  paymentIntentId: string | null;
  failureMessage: string | null;
  amountCents: number | null;
  currency: string | null;
  isRetry: boolean;
}

/** The outcome `runId` recorded for the invoice's attempt `attemptNumber`, if that run made it and it ended. */
export async function loadOwnRecordedOutcome(
  conn: Db | Tx, q: { invoiceId: number; attemptNumber: number; runId: string },
): Promise<RecordedOutcome | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT outcome, stripe_payment_intent_id, failure_message, amount_cents, currency, is_retry
       FROM payment_attempt
      WHERE invoice_id = ? AND attempt_number = ? AND run_id = ? AND outcome IN ('paid', 'requires_auth', 'failed')`,
    [q.invoiceId, q.attemptNumber, q.runId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    outcome: r.outcome as RecordedOutcome['outcome'],
    paymentIntentId: r.stripe_payment_intent_id as string | null,
    failureMessage: r.failure_message as string | null,
    amountCents: r.amount_cents === null ? null : Number(r.amount_cents),
    currency: r.currency as string | null,
    isRetry: Number(r.is_retry) === 1,
  };
}

export async function insertAttempt(
  tx: Tx,
  a: AttemptRecord & { failureCode?: string; declineCode?: string; failureMessage?: string; finishedAt?: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO payment_attempt
       (invoice_id, attempt_number, is_retry, idempotency_key, stripe_customer_id, stripe_payment_method_id,
        stripe_payment_intent_id, outcome, failure_code, decline_code, failure_message,
        amount_cents, currency, run_id, started_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      a.invoiceId, a.attemptNumber, a.isRetry, a.idempotencyKey, a.stripeCustomerId, a.stripePaymentMethodId,
      a.stripePaymentIntentId, a.outcome, a.failureCode ?? null, a.declineCode ?? null,
      truncate(a.failureMessage), a.amountCents, a.currency, a.runId, a.startedAt, a.finishedAt ?? null,
    ],
  );
}

/**
 * pending → processing (or → failed/pending for attempts decided without Stripe), or
 * failed → processing for a dunning retry; under the row lock.
 */
export async function startAttemptOnInvoice(
  tx: Tx,
  u: {
    invoiceId: number;
    attemptNumber: number;
    from: Extract<InvoiceStatus, 'pending' | 'failed'>;
    to: Extract<InvoiceStatus, 'processing' | 'failed' | 'pending'>;
    runId: string;
    now: Date;
    leaseExpiresAt: Date | null;
    failure?: { code: string; message: string };
  },
): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = ?, attempt_count = ?,
            claim_run_id = ?, claimed_at = ?, lease_expires_at = ?,
            failure_code = ?, decline_code = NULL, failure_message = ?, next_attempt_at = NULL
      WHERE id = ? AND status = ? AND attempt_count = ?`,
    [
      u.to, u.attemptNumber,
      u.to === 'processing' ? u.runId : null, u.to === 'processing' ? u.now : null, u.leaseExpiresAt,
      u.failure?.code ?? null, truncate(u.failure?.message),
      u.invoiceId, u.from, u.attemptNumber - 1,
    ],
  );
  return res.affectedRows === 1;
}

/** Takes over an in-flight claim: the same run retrying, or recovery after the lease expired. */
export async function renewClaim(
  tx: Tx,
  u: { invoiceId: number; attemptNumber: number; runId: string; now: Date; leaseExpiresAt: Date },
): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice SET claim_run_id = ?, claimed_at = ?, lease_expires_at = ?
      WHERE id = ? AND status = 'processing' AND attempt_count = ?`,
    [u.runId, u.now, u.leaseExpiresAt, u.invoiceId, u.attemptNumber],
  );
  return res.affectedRows === 1;
}

export interface AttemptResolution {
  invoiceId: number;
  attemptNumber: number;
  outcome: Exclude<AttemptOutcome, 'in_flight'>;
  /** The invoice's next status; 'processing' keeps the claim for settlement. */
  invoiceStatus: Extract<InvoiceStatus, 'paid' | 'requires_auth' | 'failed' | 'processing' | 'pending'>;
  paymentIntentId?: string;
  failure?: { code: string; declineCode?: string; message: string };
  now: Date;
  /** For 'processing': when recovery should look at it again. */
  leaseExpiresAt?: Date;
  /** For 'failed': the retry plan (next_attempt_at NULL: no automatic retry, see stoppedReason). */
  dunning?: { nextAttemptAt: Date | null; firstFailedAt: Date; failedPaymentMethodId: string; stoppedReason: string | null };
  /** For 'requires_auth': when the unfinished authentication expires. */
  authExpiresAt?: Date;
}

/**
 * Writes an attempt's outcome to the invoice and the attempt, only while the invoice is still
 * held by that attempt. Returns false when something else (recovery, a webhook) got there first.
 */
export async function resolveAttempt(tx: Tx, r: AttemptResolution): Promise<boolean> {
  const keepsClaim = r.invoiceStatus === 'processing';
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = ?,
            paid_at = IF(? = 'paid', ?, paid_at),
            stripe_payment_intent_id = COALESCE(?, stripe_payment_intent_id),
            failure_code = ?, decline_code = ?, failure_message = ?,
            claim_run_id = IF(?, claim_run_id, NULL),
            claimed_at = IF(?, claimed_at, NULL),
            lease_expires_at = ?,
            next_attempt_at = ?, first_failed_at = ?, failed_payment_method_id = ?, dunning_stopped_reason = ?,
            auth_expires_at = ?
      WHERE id = ? AND status = 'processing' AND attempt_count = ?`,
    [
      r.invoiceStatus,
      r.invoiceStatus, r.now,
      r.paymentIntentId ?? null,
      r.failure?.code ?? null, r.failure?.declineCode ?? null, truncate(r.failure?.message),
      keepsClaim, keepsClaim, keepsClaim ? (r.leaseExpiresAt ?? null) : null,
      r.dunning?.nextAttemptAt ?? null, r.dunning?.firstFailedAt ?? null, r.dunning?.failedPaymentMethodId ?? null,
      r.dunning?.stoppedReason ?? null,
      r.authExpiresAt ?? null,
      r.invoiceId, r.attemptNumber,
    ],
  );
  if (res.affectedRows !== 1) return false;
  await tx.query(
    `UPDATE payment_attempt
        SET outcome = ?, stripe_payment_intent_id = COALESCE(?, stripe_payment_intent_id),
            failure_code = ?, decline_code = ?, failure_message = ?, finished_at = ?
      WHERE invoice_id = ? AND attempt_number = ? AND outcome IN ('in_flight', 'processing')`,
    [
      r.outcome, r.paymentIntentId ?? null,
      r.failure?.code ?? null, r.failure?.declineCode ?? null, truncate(r.failure?.message), r.now,
      r.invoiceId, r.attemptNumber,
    ],
  );
  return true;
}

function truncate(message: string | undefined): string | null {
  if (message === undefined) return null;
  return message.length > 1000 ? `${message.slice(0, 997)}...` : message;
}
