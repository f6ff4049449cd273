/** Start-up checks that turn bad configuration into one clear line each, before any run. */
import { NativeConnection } from '@temporalio/worker';
import Stripe from 'stripe';

/** A cheap authenticated read: a rejected key stops the worker at start, not mid-run. */
export async function checkStripeKey(stripe: Stripe, apiBase: URL | undefined): Promise<void> {
  const target = apiBase ? apiBase.origin : 'api.stripe.com';
  try {
    await stripe.paymentIntents.list({ limit: 1 });
  } catch (err) {
    if (err instanceof Stripe.errors.StripeAuthenticationError) {
      throw new Error(`Stripe at ${target} rejected STRIPE_SECRET_KEY (401): set a valid secret key`, { cause: err });
    }
    if (err instanceof Stripe.errors.StripePermissionError) {
      throw new Error(`STRIPE_SECRET_KEY lacks permission to read PaymentIntents at ${target} (403): use a key with PaymentIntents write access`, { cause: err });
    }
    if (err instanceof Stripe.errors.StripeConnectionError) {
      throw new Error(`cannot reach Stripe at ${target}: check STRIPE_API_BASE and the network`, { cause: err });
    }
    throw err;
  }
}

export async function connectTemporalForWorker(address: string): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address });
  } catch (err) {
    throw new Error(`cannot reach Temporal at ${address}: is the server running? check TEMPORAL_ADDRESS`, { cause: err });
  }
}
