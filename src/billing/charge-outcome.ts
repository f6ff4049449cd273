/**
 * Stripe's answer to a charge (a PaymentIntent or an error) → what we do with the invoice.
 * One pure function per input, table-tested in test/billing/charge-outcome.test.ts. Errors are
 * recognised by the SDK's error classes, with the HTTP status for what no class names.
 */
import Stripe from 'stripe';
import { advisedWaitMs } from '../stripe/retry-after';

const E = Stripe.errors;

/** The fields of a PaymentIntent the decision needs (a subset of Stripe.PaymentIntent). */
export interface PaymentIntentView {
  id: string;
  status: string;
  last_payment_error?: DeclineFields & { code?: string; decline_code?: string; message?: string } | null;
}

/** The advice and card fields of a decline (a card error, or a PaymentIntent's last_payment_error). */
export interface DeclineFields {
  advice_code?: string;
  network_advice_code?: string;
  network_decline_code?: string;
  payment_method?: { card?: { fingerprint?: string | null; brand?: string | null } | null } | null;
}

/** What a decline says beyond its codes: Stripe's advice, the network's codes, the card it hit. */
export interface DeclineDetails {
  adviceCode?: string;
  networkAdviceCode?: string;
  networkDeclineCode?: string;
  cardFingerprint?: string;
  cardNetwork?: string;
}

/** Only the fields Stripe sent, so a decline without advice compares equal to one from before. */
export function declineDetails(e: DeclineFields | null | undefined): DeclineDetails | undefined {
  if (!e) return undefined;
  const card = e.payment_method?.card;
  const d: DeclineDetails = {
    ...(e.advice_code && { adviceCode: e.advice_code }),
    ...(e.network_advice_code && { networkAdviceCode: e.network_advice_code }),
    ...(e.network_decline_code && { networkDeclineCode: e.network_decline_code }),
    ...(card?.fingerprint && { cardFingerprint: card.fingerprint }),
    ...(card?.brand && { cardNetwork: card.brand }),
  };
  return Object.keys(d).length > 0 ? d : undefined;
}

export type ChargeDecision =
  | { kind: 'paid'; paymentIntentId: string }
  | { kind: 'requires_auth'; paymentIntentId?: string; code: string; message: string }
  | { kind: 'failed'; paymentIntentId?: string; code: string; declineCode?: string; message: string; details?: DeclineDetails }
  | { kind: 'processing'; paymentIntentId: string }
  /** Nothing was charged and the invoice may be charged later as it is: release it to pending. */
  | { kind: 'skipped'; code: string; message: string }
  /** Transient: send the same request with the same idempotency key again later (not before `retryAfterMs`, Stripe's advised wait). */
  | { kind: 'retry'; message: string; retryAfterMs?: number }
  /** The request completed with a server error: whether a charge exists must be looked up. */
  | { kind: 'look_up'; message: string }
  /**
   * The account or key is unusable: stop the whole run, fail no invoice. `outcomeUnknown`: an
   * earlier request of the attempt may have charged, so its claim must stay.
   */
  | { kind: 'systemic'; message: string; outcomeUnknown?: boolean }
  /** A lookup after a server error proved that no PaymentIntent exists for the attempt. */
  | { kind: 'no_charge'; message: string };

const AUTHENTICATION_REQUIRED = 'authentication_required';

function isAuthenticationRequired(e: { code?: string; decline_code?: string } | null | undefined): boolean {
  // Stripe documents `code`; `decline_code` carrying it is unconfirmed, so accept either.
  return e?.code === AUTHENTICATION_REQUIRED || e?.decline_code === AUTHENTICATION_REQUIRED;
}

export function decideFromPaymentIntent(pi: PaymentIntentView): ChargeDecision {
  switch (pi.status) {
    case 'succeeded':
      return { kind: 'paid', paymentIntentId: pi.id };
    case 'processing':
    case 'requires_capture':
      return { kind: 'processing', paymentIntentId: pi.id };
    case 'requires_action':
      return { kind: 'requires_auth', paymentIntentId: pi.id, code: AUTHENTICATION_REQUIRED, message: 'the customer must authenticate this payment' };
    default: {
      const err = pi.last_payment_error;
      if (isAuthenticationRequired(err)) {
        return { kind: 'requires_auth', paymentIntentId: pi.id, code: AUTHENTICATION_REQUIRED, message: err?.message ?? 'the customer must authenticate this payment' };
      }
      const details = declineDetails(err);
      return {
        kind: 'failed',
        paymentIntentId: pi.id,
        code: err?.code ?? `payment_intent_${pi.status}`,
        declineCode: err?.decline_code,
        message: err?.message ?? `PaymentIntent ended in status ${pi.status}`,
        ...(details && { details }),
      };
    }
  }
}

export function decideFromStripeError(err: Stripe.errors.StripeError): ChargeDecision {
  const status = err.statusCode;
  const message = err.message ?? 'Stripe error without a message';
  // Classified by the SDK's class (which it picks from the HTTP status), then by status and code.
  if (err instanceof E.StripeAuthenticationError || status === 401) {
    return { kind: 'systemic', message: 'Stripe rejected the API key (401): check STRIPE_SECRET_KEY' };
  }
  if (err instanceof E.StripePermissionError || status === 403) {
    return { kind: 'systemic', message: 'the Stripe API key lacks permission to create PaymentIntents (403)' };
  }
  if (err instanceof E.StripeRateLimitError || status === 429) {
    // `rate_limit` or `lock_timeout`: Stripe refused the request before running it, so it is
    // neither a decline nor an attempt's outcome; the same key is sent again after the advised wait.
    const retryAfterMs = advisedWaitMs(err.headers);
    return { kind: 'retry', message: `rate limited by Stripe (${err.code ?? '429'})`, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  if (status === 409 || err.code === 'idempotency_key_in_use') {
    return { kind: 'retry', message: 'the same attempt is still in flight at Stripe (409)' };
  }
  if (err instanceof E.StripeConnectionError || status === undefined) {
    return { kind: 'retry', message: `no response from Stripe: ${message}` };
  }
  if (err instanceof E.StripeCardError || err.rawType === 'card_error' || status === 402) {
    if (isAuthenticationRequired(err)) {
      return { kind: 'requires_auth', paymentIntentId: err.payment_intent?.id, code: AUTHENTICATION_REQUIRED, message };
    }
    const details = declineDetails(err);
    return {
      kind: 'failed',
      paymentIntentId: err.payment_intent?.id,
      code: err.code ?? 'card_error',
      declineCode: err.decline_code,
      message,
      ...(details && { details }),
    };
  }
  if (err instanceof E.StripeAPIError || status >= 500) {
    return { kind: 'look_up', message: `Stripe returned ${status}: ${message}` };
  }
  if (err.code === 'amount_too_small') {
    return { kind: 'skipped', code: 'amount_too_small', message };
  }
  if (err instanceof E.StripeIdempotencyError) {
    // The key was already used with other parameters (a release changed how the stored attempt
    // is turned into a request while its outcome was unknown): that earlier request may have
    // charged. Find out, never guess.
    return { kind: 'look_up', message: `Stripe refused the re-send: the key was used with other parameters (${message})` };
  }
  return { kind: 'failed', code: err.code ?? err.rawType ?? 'invalid_request', declineCode: err.decline_code, message };
}

/**
 * The one "classify → systemic stops / transient retries" rule for a Stripe call that only
 * reads (lookups, settlement checks, webhook re-fetches): a systemic stop stays one, any other
 * Stripe error is tried again later. Anything that is not a Stripe error is not ours to classify.
 */
export function decideFromReadError(err: unknown, what: string): Extract<ChargeDecision, { kind: 'systemic' | 'retry' }> {
  if (!(err instanceof E.StripeError)) throw err;
  const decision = decideFromStripeError(err);
  if (decision.kind === 'systemic') return decision;
  const retryAfterMs = decision.kind === 'retry' ? decision.retryAfterMs : undefined;
  return { kind: 'retry', message: `${what} failed: ${err.message}`, ...(retryAfterMs !== undefined && { retryAfterMs }) };
}
