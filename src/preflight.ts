/** Start-up checks that turn bad configuration into one clear line each, before any run. */
import Stripe from 'stripe';

const TRANSIENT_TRIES = 5;

/** Stripe busy or briefly failing says nothing about the key: ask again before giving up. */
function isTransient(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeRateLimitError || err instanceof Stripe.errors.StripeAPIError;
}

/** A cheap authenticated read: a rejected key stops the worker at start, not mid-run. */
export async function checkStripeKey(stripe: Stripe, apiBase: URL | undefined, retryDelayMs = 1_000): Promise<void> {
  const target = apiBase ? apiBase.origin : 'api.stripe.com';
  for (let tryNumber = 1; ; tryNumber += 1) {
    try {
      await stripe.paymentIntents.list({ limit: 1 });
      return;
    } catch (err) {
      if (!isTransient(err) || tryNumber >= TRANSIENT_TRIES) throw explainStripeFailure(err, target);
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs * tryNumber));
    }
  }
}

function explainStripeFailure(err: unknown, target: string): unknown {
  if (err instanceof Stripe.errors.StripeAuthenticationError) {
    return new Error(`Stripe at ${target} rejected STRIPE_SECRET_KEY (401): set a valid secret key`, { cause: err });
  }
  if (err instanceof Stripe.errors.StripePermissionError) {
    return new Error(`STRIPE_SECRET_KEY lacks permission to read PaymentIntents at ${target} (403): use a key with PaymentIntents write access`, { cause: err });
  }
  if (err instanceof Stripe.errors.StripeConnectionError) {
    return new Error(`cannot reach Stripe at ${target}: check STRIPE_API_BASE and the network`, { cause: err });
  }
  return err;
}
