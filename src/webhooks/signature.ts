/**
 * `Stripe-Signature` verification with the official SDK: HMAC-SHA256 over `${t}.${rawBody}`,
 * constant-time compare, 300 s tolerance. Reasons are short and never echo the header or secret.
 */
import Stripe from 'stripe';

/** Stripe's default, and what the SDK uses when none is given. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type Verification =
  | { ok: true; event: Stripe.Event }
  | { ok: false; reason: string };

export function verifyStripeSignature(rawBody: Buffer, header: string | string[] | undefined, secret: string): Verification {
  if (header === undefined || header === '') return { ok: false, reason: 'missing Stripe-Signature header' };
  if (Array.isArray(header)) return { ok: false, reason: 'more than one Stripe-Signature header' };
  try {
    return { ok: true, event: Stripe.webhooks.constructEvent(rawBody, header, secret, SIGNATURE_TOLERANCE_SECONDS) };
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      const message = err.message;
      if (/tolerance/i.test(message)) return { ok: false, reason: `signature timestamp is older than ${SIGNATURE_TOLERANCE_SECONDS} s` };
      if (/extract timestamp/i.test(message)) return { ok: false, reason: 'malformed Stripe-Signature header' };
      return { ok: false, reason: 'signature does not match' };
    }
    // A correct signature over a body that is not JSON.
    if (err instanceof SyntaxError) return { ok: false, reason: 'body is not JSON' };
    throw err;
  }
}
