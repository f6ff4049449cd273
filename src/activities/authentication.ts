/**
 * Activities of the 3-D Secure follow-up: tell the business (and through it the customer),
 * check whether the authentication was settled, and expire it when the customer never did.
 */
import { log } from '@temporalio/activity';
import Stripe from 'stripe';
import { loadAuthenticationState } from '../db/authentication';
import { withTransaction } from '../db/sql';
import { expireAuthentication } from '../db/transitions';
import { buildAuthenticationNotification, type AuthenticationNotificationType } from '../notify/notification';
import type { Notifier } from '../notify/notifier';
import type { ActivityDeps } from './deps';

export interface AuthenticationRef {
  invoiceId: number;
  paymentIntentId: string;
}

/** Still waiting: the invoice is requires_auth on this very PaymentIntent. */
export type AuthenticationCheck = { waiting: true } | { waiting: false; status: string };

export type ExpiryResult =
  | { expired: true }
  /** Stripe says the payment went through or is settling: the webhook settles it, never expired. */
  | { expired: false; reason: string };

export function makeAuthenticationActivities(deps: ActivityDeps & { notifier: Notifier }) {
  async function check(ref: AuthenticationRef): Promise<AuthenticationCheck> {
    const state = await loadAuthenticationState(deps.db, ref.invoiceId);
    if (state?.status === 'requires_auth' && state.currentPaymentIntentId === ref.paymentIntentId) return { waiting: true };
    return { waiting: false, status: state?.status ?? 'missing' };
  }

  return {
    checkAuthentication: check,

    async notifyAuthentication(input: AuthenticationRef & { type: AuthenticationNotificationType; reminderNumber: number }): Promise<boolean> {
      const state = await loadAuthenticationState(deps.db, input.invoiceId);
      if (!state) return false;
      const notification = buildAuthenticationNotification(
        input.type, { ...state, paymentIntentId: input.paymentIntentId }, input.reminderNumber, deps.clock(),
      );
      await deps.notifier.send(notification);
      return true;
    },

    async expireAuthentication(ref: AuthenticationRef): Promise<ExpiryResult> {
      if (!(await check(ref)).waiting) return { expired: false, reason: 'no longer awaiting authentication' };
      // Cancel at Stripe first, so a late confirmation cannot charge an invoice we mark failed.
      try {
        await deps.stripe.paymentIntents.cancel(ref.paymentIntentId, { cancellation_reason: 'abandoned' });
      } catch (err) {
        if (!(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
        // Not cancelable: it succeeded, is processing, or was canceled already. Stripe decides.
        const intent = await deps.stripe.paymentIntents.retrieve(ref.paymentIntentId);
        if (intent.status !== 'canceled') {
          log.warn('authentication completed at Stripe; leaving it to the webhook to settle', { ...ref, status: intent.status });
          return { expired: false, reason: `PaymentIntent is ${intent.status}` };
        }
      }
      const expired = await withTransaction(deps.db, (tx) => expireAuthentication(tx, { ...ref, now: deps.clock() }));
      return expired ? { expired: true } : { expired: false, reason: 'invoice changed concurrently' };
    },
  };
}
