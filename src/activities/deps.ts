import type Stripe from 'stripe';
import { msToNumber } from '@temporalio/common';
import { DEFAULT_DUNNING_RULES, type DunningRules } from '../billing/dunning-decision';
import { AUTHENTICATION_EXPIRY } from '../shared';
import type { Db } from '../db/sql';
import type { ClaimOwnerLookup } from '../temporal/claim-owners';

/** What the activities need from the outside world; tests pass real or fake ones. */
export interface ActivityDeps {
  db: Db;
  stripe: Stripe;
  clock: () => Date;
  randomId: () => string;
  /** How long a claim is held before recovery may take it over (longer than the retry budget). */
  claimLeaseMs: number;
  /** How often an unsettled ('processing') PaymentIntent is looked at again. */
  settlementRecheckMs: number;
  /** Beyond this age an attempt's key may have expired at Stripe (kept ≥ 24 h): look up, never re-send. */
  keyRetentionMs: number;
  /** When declines are charged again: the schedule, the advice policy and the card network rules (budgets). */
  dunningRules: DunningRules;
  /** How long a customer has to finish a 3-D Secure authentication before the invoice fails. */
  authExpiryMs: number;
  /**
   * Asks Temporal whether the run holding a claim is still open: a closed run's claims are
   * resolved at once, a running one's are left alone; "unknown" falls back to the lease.
   */
  claimOwner: ClaimOwnerLookup;
  /** The charge rate the worker holds its task queue to; runs derive their default concurrency from it. */
  chargeRatePerSecond: number;
}

export const DEFAULT_TIMINGS = {
  claimLeaseMs: 30 * 60_000,
  settlementRecheckMs: 60 * 60_000,
  keyRetentionMs: 23 * 60 * 60_000,
  dunningRules: DEFAULT_DUNNING_RULES,
  authExpiryMs: msToNumber(AUTHENTICATION_EXPIRY),
};
