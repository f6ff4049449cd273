/**
 * The one mapping from a Stripe decision to what is written and reported: the attempt's
 * outcome and the invoice's next status (with the failure), and the run's entry for the
 * invoice. Pure; used by the charge activity, the webhook settlement and the benchmark's
 * sequential reference, so the three can never disagree.
 */
import type { AttemptOutcome } from './attempt-outcome';
import type { ChargeDecision, DeclineDetails } from './charge-outcome';
import type { InvoiceStatus } from './invoice-state';
import type { InvoiceRunResult } from './run-outcome';

/** The write a final decision asks for (dunning and deadlines are added by the writer, under its lock). */
export interface AttemptUpdate {
  outcome: Exclude<AttemptOutcome, 'in_flight'>;
  invoiceStatus: Extract<InvoiceStatus, 'paid' | 'requires_auth' | 'failed' | 'processing' | 'pending'>;
  paymentIntentId?: string;
  failure?: { code: string; declineCode?: string; message: string; details?: DeclineDetails };
}

/** What the attempt charged, for the run's entry. */
export interface AttemptFacts {
  invoiceId: number;
  attemptNumber: number;
  amountCents: number;
  currency: string;
  isRetry: boolean;
}

export type Resolution =
  /** Final for this attempt: write `update`, report `entry`. */
  | { kind: 'record'; update: AttemptUpdate; entry: InvoiceRunResult }
  /** Proven uncharged: give the claim back (`update`), then stop the run or retry with a new attempt. */
  | { kind: 'release'; update: AttemptUpdate; then: 'systemic' | 'transient'; message: string }
  /** Not final: keep the claim and the in-flight attempt; stop the run or send the same key again (not before `retryAfterMs`). */
  | { kind: 'hold'; then: 'systemic' | 'transient'; message: string; retryAfterMs?: number };

/**
 * `firstSend`: this was the only request of a fresh attempt, so Stripe refusing it proves that
 * nothing was charged.
 */
export function resolveDecision(decision: ChargeDecision, attempt: AttemptFacts, firstSend: boolean): Resolution {
  const money = {
    amount_cents: attempt.amountCents, currency: attempt.currency, attempt: attempt.attemptNumber, ...(attempt.isRetry && { retry: true }),
  };
  const invoice_id = attempt.invoiceId;
  switch (decision.kind) {
    case 'paid':
      return {
        kind: 'record',
        update: { outcome: 'paid', invoiceStatus: 'paid', paymentIntentId: decision.paymentIntentId },
        entry: { invoice_id, status: 'paid', payment_intent_id: decision.paymentIntentId, ...money },
      };
    case 'requires_auth':
      return {
        kind: 'record',
        update: {
          outcome: 'requires_auth', invoiceStatus: 'requires_auth', paymentIntentId: decision.paymentIntentId,
          failure: { code: decision.code, message: decision.message },
        },
        // Stripe's message says "declined"; the customer only has to confirm, so say that instead.
        entry: {
          invoice_id, status: 'requires_auth', payment_intent_id: decision.paymentIntentId,
          error: 'authentication required: the customer must confirm this payment (3-D Secure)', ...money,
        },
      };
    case 'failed':
      return {
        kind: 'record',
        update: {
          outcome: 'failed', invoiceStatus: 'failed', paymentIntentId: decision.paymentIntentId,
          failure: {
            code: decision.code, declineCode: decision.declineCode, message: decision.message, ...(decision.details && { details: decision.details }),
          },
        },
        entry: { invoice_id, status: 'failed', payment_intent_id: decision.paymentIntentId, error: decision.message, ...money },
      };
    case 'processing':
      return {
        kind: 'record',
        update: { outcome: 'processing', invoiceStatus: 'processing', paymentIntentId: decision.paymentIntentId },
        entry: { invoice_id, status: 'processing', payment_intent_id: decision.paymentIntentId, error: 'payment is processing; it settles later', ...money },
      };
    case 'skipped':
      return {
        kind: 'record',
        update: { outcome: 'skipped', invoiceStatus: 'pending', failure: { code: decision.code, message: decision.message } },
        entry: { invoice_id, status: 'skipped', error: `${decision.code}: ${decision.message}` },
      };
    case 'retry':
      // The claim and the in-flight attempt stay: the retry re-sends the same key.
      return { kind: 'hold', then: 'transient', message: decision.message, ...(decision.retryAfterMs !== undefined && { retryAfterMs: decision.retryAfterMs }) };
    case 'systemic':
      if (!firstSend || decision.outcomeUnknown) {
        // An earlier send of this attempt, a 5xx, or a processing PaymentIntent may have charged:
        // keep the claim, so a run with a valid key resolves the attempt with its own key.
        return {
          kind: 'hold', then: 'systemic',
          message: `${decision.message} (invoice ${invoice_id} stays processing until a run with a valid key resolves its attempt)`,
        };
      }
      // Stripe refused the only request of this attempt, so nothing was charged: give the claim back.
      return {
        kind: 'release', then: 'systemic', message: decision.message,
        update: { outcome: 'released', invoiceStatus: 'pending', failure: { code: 'systemic_stop', message: decision.message } },
      };
    case 'no_charge':
      // Proven uncharged: close this attempt; the activity's retry claims a fresh one with a new key.
      return {
        kind: 'release', then: 'transient', message: decision.message,
        update: { outcome: 'released', invoiceStatus: 'pending', failure: { code: 'stripe_server_error', message: decision.message } },
      };
    case 'look_up':
      throw new Error('unreachable: look_up is resolved by a lookup before any decision is recorded');
  }
}
