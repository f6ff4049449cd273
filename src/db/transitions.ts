/**
 * The only SQL that writes `invoice.status` or `payment_attempt.outcome`. Every statement moves
 * only from the states its transition lists in src/billing/invoice-state.ts and
 * src/billing/attempt-outcome.ts, and only while the attempt it acts for is the invoice's current
 * one, so a race (two runs, recovery, a late webhook) can never move an invoice backwards: the
 * loser's UPDATE matches no row and returns false.
 */
import type { ResultSetHeader } from 'mysql2/promise';
import { ATTEMPT_TRANSITIONS, type AttemptOutcome } from '../billing/attempt-outcome';
import type { DeclineDetails } from '../billing/charge-outcome';
import { INVOICE_TRANSITIONS, type FromState, type ToState } from '../billing/invoice-state';
import { truncate, type Tx } from './sql';

const from = {
  claim: INVOICE_TRANSITIONS.claim.from,
  decideWithoutStripe: INVOICE_TRANSITIONS.decideWithoutStripe.from,
  renewClaim: INVOICE_TRANSITIONS.renewClaim.from,
  resolveAttempt: INVOICE_TRANSITIONS.resolveAttempt.from,
  settlePaid: INVOICE_TRANSITIONS.settlePaid.from,
  settleFailed: INVOICE_TRANSITIONS.settleFailed.from,
  expireAuthentication: INVOICE_TRANSITIONS.expireAuthentication.from,
  postponeRetry: INVOICE_TRANSITIONS.postponeRetry.from,
};

// ---------------------------------------------------------------------------------------------
// Starting an attempt (under the invoice's row lock, with the attempt row in the same transaction).

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
  /** The charging run that made the attempt and holds (or held) the invoice's claim. */
  claimRunId: string;
  startedAt: Date;
  /** The card the attempt goes to, when known before sending (budgets count per card). */
  cardFingerprint?: string | null;
  cardNetwork?: string | null;
}

/** A failure as written: codes, message, and the decline's advice and card when Stripe sent them. */
export interface FailureWrite {
  code: string;
  declineCode?: string;
  message: string;
  details?: DeclineDetails;
}

/** The attempt row's advice and card columns for a failure (the card keeps what the claim knew when Stripe sent none). */
function adviceColumns(f: FailureWrite | undefined): (string | null)[] {
  const d = f?.details;
  return [d?.adviceCode ?? null, d?.networkAdviceCode ?? null, d?.networkDeclineCode ?? null, d?.cardFingerprint ?? null, d?.cardNetwork ?? null];
}
const SET_ADVICE_COLUMNS = `advice_code = ?, network_advice_code = ?, network_decline_code = ?,
            card_fingerprint = COALESCE(?, card_fingerprint), card_network = COALESCE(?, card_network)`;

/**
 * pending | failed → processing (claim), or pending → failed | pending for attempts decided
 * without Stripe; bumps attempt_count, so two runs claiming the same attempt cannot both win.
 */
export async function startAttemptOnInvoice(
  tx: Tx,
  u: {
    invoiceId: number;
    attemptNumber: number;
    from: FromState<'claim'> | FromState<'decideWithoutStripe'>;
    to: ToState<'claim'> | ToState<'decideWithoutStripe'>;
    claimRunId: string;
    now: Date;
    leaseExpiresAt: Date | null;
    failure?: { code: string; message: string };
  },
): Promise<boolean> {
  const claims = u.to === 'processing';
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = ?, attempt_count = ?,
            claim_run_id = ?, claimed_at = ?, lease_expires_at = ?,
            failure_code = ?, decline_code = NULL, failure_message = ?, next_attempt_at = NULL
      WHERE id = ? AND status = ? AND status IN (?) AND attempt_count = ?`,
    [
      u.to, u.attemptNumber,
      claims ? u.claimRunId : null, claims ? u.now : null, u.leaseExpiresAt,
      u.failure?.code ?? null, truncate(u.failure?.message),
      u.invoiceId, u.from, claims ? from.claim : from.decideWithoutStripe, u.attemptNumber - 1,
    ],
  );
  return res.affectedRows === 1;
}

/** Creates the attempt row: in flight to Stripe, or already decided (skipped / failed) without it. */
export async function insertAttempt(
  tx: Tx,
  a: AttemptRecord & { failureCode?: string; declineCode?: string; failureMessage?: string; finishedAt?: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO payment_attempt
       (invoice_id, attempt_number, is_retry, idempotency_key, stripe_customer_id, stripe_payment_method_id,
        stripe_payment_intent_id, outcome, failure_code, decline_code, failure_message,
        amount_cents, currency, run_id, started_at, finished_at, card_fingerprint, card_network)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      a.invoiceId, a.attemptNumber, a.isRetry, a.idempotencyKey, a.stripeCustomerId, a.stripePaymentMethodId,
      a.stripePaymentIntentId, a.outcome, a.failureCode ?? null, a.declineCode ?? null,
      truncate(a.failureMessage), a.amountCents, a.currency, a.claimRunId, a.startedAt, a.finishedAt ?? null,
      a.cardFingerprint ?? null, a.cardNetwork ?? null,
    ],
  );
}

/** processing → processing: the same run retrying, or recovery after the lease expired, takes the claim. */
export async function renewClaim(
  tx: Tx,
  u: { invoiceId: number; attemptNumber: number; claimRunId: string; now: Date; leaseExpiresAt: Date },
): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice SET claim_run_id = ?, claimed_at = ?, lease_expires_at = ?
      WHERE id = ? AND status IN (?) AND attempt_count = ?`,
    [u.claimRunId, u.now, u.leaseExpiresAt, u.invoiceId, from.renewClaim, u.attemptNumber],
  );
  return res.affectedRows === 1;
}

// ---------------------------------------------------------------------------------------------
// Resolving an attempt with its own answer from Stripe.

export interface AttemptResolution {
  invoiceId: number;
  attemptNumber: number;
  outcome: Exclude<AttemptOutcome, 'in_flight'>;
  /** The invoice's next status; 'processing' keeps the claim for settlement. */
  invoiceStatus: ToState<'resolveAttempt'>;
  paymentIntentId?: string;
  failure?: FailureWrite;
  now: Date;
  /** For 'processing': when recovery should look at it again. */
  leaseExpiresAt?: Date;
  /** For 'failed': the retry plan (next_attempt_at NULL: no automatic retry, see stoppedReason). */
  dunning?: DunningColumns;
  /** For 'requires_auth': when the unfinished authentication expires. */
  authExpiresAt?: Date;
}

export interface DunningColumns {
  nextAttemptAt: Date | null;
  firstFailedAt: Date;
  failedPaymentMethodId: string | null;
  stoppedReason: string | null;
}

/**
 * processing → the attempt's outcome, written to the invoice and the attempt, only while the
 * invoice is still held by that attempt. Returns false when something else (recovery, a
 * webhook) got there first.
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
      WHERE id = ? AND status IN (?) AND attempt_count = ?`,
    [
      r.invoiceStatus,
      r.invoiceStatus, r.now,
      r.paymentIntentId ?? null,
      r.failure?.code ?? null, r.failure?.declineCode ?? null, truncate(r.failure?.message),
      keepsClaim, keepsClaim, keepsClaim ? (r.leaseExpiresAt ?? null) : null,
      r.dunning?.nextAttemptAt ?? null, r.dunning?.firstFailedAt ?? null, r.dunning?.failedPaymentMethodId ?? null,
      r.dunning?.stoppedReason ?? null,
      r.authExpiresAt ?? null,
      r.invoiceId, from.resolveAttempt, r.attemptNumber,
    ],
  );
  if (res.affectedRows !== 1) return false;
  await tx.query(
    `UPDATE payment_attempt
        SET outcome = ?, stripe_payment_intent_id = COALESCE(?, stripe_payment_intent_id),
            failure_code = ?, decline_code = ?, failure_message = ?, finished_at = ?,
            ${SET_ADVICE_COLUMNS}
      WHERE invoice_id = ? AND attempt_number = ? AND outcome IN (?)`,
    [
      r.outcome, r.paymentIntentId ?? null,
      r.failure?.code ?? null, r.failure?.declineCode ?? null, truncate(r.failure?.message), r.now,
      ...adviceColumns(r.failure),
      r.invoiceId, r.attemptNumber, ATTEMPT_TRANSITIONS.resolve.from,
    ],
  );
  return true;
}

// ---------------------------------------------------------------------------------------------
// Settling from Stripe's asynchronous report (webhook), and expiring an unfinished 3-D Secure.

export interface PaidSettlement {
  invoiceId: number;
  /** The invoice's attempt_count the settlement was decided on: its current attempt. */
  attemptCount: number;
  from: FromState<'settlePaid'>;
  paymentIntentId: string;
  now: Date;
}

/**
 * requires_auth | processing | failed → paid: paid_at and the PaymentIntent recorded; the claim,
 * the failure, the dunning plan and the authentication deadline cleared. The attempt that owns the
 * PaymentIntent records `paid`.
 */
export async function settleInvoicePaid(tx: Tx, s: PaidSettlement): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = 'paid', paid_at = ?, stripe_payment_intent_id = ?,
            failure_code = NULL, decline_code = NULL, failure_message = NULL,
            claim_run_id = NULL, claimed_at = NULL, lease_expires_at = NULL,
            next_attempt_at = NULL, first_failed_at = NULL, failed_payment_method_id = NULL,
            dunning_stopped_reason = NULL, auth_expires_at = NULL
      WHERE id = ? AND status = ? AND status IN (?) AND attempt_count = ?`,
    [s.now, s.paymentIntentId, s.invoiceId, s.from, from.settlePaid, s.attemptCount],
  );
  if (res.affectedRows !== 1) return false;
  if (s.attemptCount > 0) {
    await tx.query<ResultSetHeader>(
      `UPDATE payment_attempt
          SET outcome = 'paid', stripe_payment_intent_id = ?,
              failure_code = NULL, decline_code = NULL, failure_message = NULL, finished_at = ?
        WHERE invoice_id = ? AND attempt_number = ? AND outcome IN (?)`,
      [s.paymentIntentId, s.now, s.invoiceId, s.attemptCount, ATTEMPT_TRANSITIONS.settlePaid.from],
    );
  }
  return true;
}

export interface FailedSettlement {
  invoiceId: number;
  attemptCount: number;
  from: FromState<'settleFailed'>;
  paymentIntentId: string;
  failure: FailureWrite;
  /** The retry plan, as a charge's own failure writes it (next_attempt_at NULL: no automatic retry). */
  dunning: DunningColumns;
  now: Date;
}

/**
 * requires_auth | processing → failed, with the decline and the dunning plan; the claim and the
 * authentication deadline cleared. Never over `paid`; a `failed` invoice keeps its first failure.
 */
export async function settleInvoiceFailed(tx: Tx, s: FailedSettlement): Promise<boolean> {
  const message = truncate(s.failure.message);
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = 'failed', stripe_payment_intent_id = ?,
            failure_code = ?, decline_code = ?, failure_message = ?,
            claim_run_id = NULL, claimed_at = NULL, lease_expires_at = NULL,
            next_attempt_at = ?, first_failed_at = ?, failed_payment_method_id = ?, dunning_stopped_reason = ?,
            auth_expires_at = NULL
      WHERE id = ? AND status = ? AND status IN (?) AND attempt_count = ?`,
    [
      s.paymentIntentId, s.failure.code, s.failure.declineCode ?? null, message,
      s.dunning.nextAttemptAt, s.dunning.firstFailedAt, s.dunning.failedPaymentMethodId, s.dunning.stoppedReason,
      s.invoiceId, s.from, from.settleFailed, s.attemptCount,
    ],
  );
  if (res.affectedRows !== 1) return false;
  if (s.attemptCount > 0) {
    await tx.query<ResultSetHeader>(
      `UPDATE payment_attempt
          SET outcome = 'failed', stripe_payment_intent_id = ?,
              failure_code = ?, decline_code = ?, failure_message = ?, finished_at = ?,
              ${SET_ADVICE_COLUMNS}
        WHERE invoice_id = ? AND attempt_number = ? AND outcome IN (?)`,
      [s.paymentIntentId, s.failure.code, s.failure.declineCode ?? null, message, s.now, ...adviceColumns(s.failure),
        s.invoiceId, s.attemptCount, ATTEMPT_TRANSITIONS.settleFailed.from],
    );
  }
  return true;
}

/** requires_auth → failed (authentication_expired), only for the PaymentIntent being followed up. */
export async function expireAuthentication(tx: Tx, q: { invoiceId: number; paymentIntentId: string; now: Date }): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    `UPDATE invoice
        SET status = 'failed', failure_code = 'authentication_expired', decline_code = NULL,
            failure_message = 'the customer did not complete authentication in time',
            auth_expires_at = NULL, next_attempt_at = NULL, dunning_stopped_reason = 'authentication_expired',
            failed_payment_method_id = (SELECT stripe_payment_method_id FROM payment_attempt
                                         WHERE invoice_id = ? AND stripe_payment_intent_id = ? LIMIT 1)
      WHERE id = ? AND status IN (?) AND stripe_payment_intent_id = ?`,
    [q.invoiceId, q.paymentIntentId, q.invoiceId, from.expireAuthentication, q.paymentIntentId],
  );
  return res.affectedRows === 1;
}

/** failed → failed: a card network budget is used up, so this invoice is tried again when the window allows. */
export async function postponeRetry(tx: Tx, invoiceId: number, until: Date): Promise<boolean> {
  const [res] = await tx.query<ResultSetHeader>(
    'UPDATE invoice SET next_attempt_at = ? WHERE id = ? AND status IN (?)',
    [until, invoiceId, from.postponeRetry],
  );
  return res.affectedRows === 1;
}
