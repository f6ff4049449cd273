/**
 * How many charges a run keeps in flight, and how many activity slots a worker needs for it, from
 * the one setting an operator changes: the charge rate (STRIPE_RATE_LIMIT_PER_SECOND). Pure: the
 * workflow derives a run's concurrency with it, the worker config its default slots.
 */

/**
 * Charges in flight at the default 25/s, and the least the derivation gives. 25/s needs ~8 at
 * ~300 ms per PaymentIntent, plus the claim, the record and Temporal's dispatch around each call,
 * which grow when the CPU is busy: 75 holds the limit with headroom (BENCHMARKS.md; 50 reached ~90 %).
 */
export const DEFAULT_CHARGE_CONCURRENCY = 75;

/**
 * Seconds of charges at the rate that a run keeps in flight. A charge's cycle outside the queue
 * (claim, PaymentIntent, record, workflow task) is ~0.8 s at 100/s on 2 cores, so less starves
 * the rate limit (75 at 100/s: 92.6 %); more only lengthens the backlog in the rate-limited queue,
 * which delays even the priority-2 charges of a busy customer's lane, and that lane becomes the
 * critical path (150: 93.8–96 %; 110 and 120: 99.6–100 %; BENCHMARKS.md).
 */
export const CHARGE_CYCLE_HEADROOM_SECONDS = 1.2;

/**
 * The most the derivation gives: every charge in flight is a pending activity of the run, and
 * Temporal fails a workflow's new activities past 2,000 pending (limit.numPendingActivities).
 */
export const MAX_DERIVED_CONCURRENCY = 500;

/** Slots a worker keeps beyond a run's charges: listing, reports, webhook and 3-D Secure work. */
export const NON_CHARGE_ACTIVITY_SLOTS = 25;

/** The default concurrency of a run on a task queue held to `chargeRatePerSecond` charges per second. */
export function concurrencyForChargeRate(chargeRatePerSecond: number): number {
  const wanted = Number.isFinite(chargeRatePerSecond) && chargeRatePerSecond > 0 ? Math.ceil(chargeRatePerSecond * CHARGE_CYCLE_HEADROOM_SECONDS) : 0;
  return Math.min(MAX_DERIVED_CONCURRENCY, Math.max(DEFAULT_CHARGE_CONCURRENCY, wanted));
}

/** A worker's default activity slots: one run's charges at that rate, and room for the rest (100 at 25/s). */
export function activitySlotsForChargeRate(chargeRatePerSecond: number): number {
  return concurrencyForChargeRate(chargeRatePerSecond) + NON_CHARGE_ACTIVITY_SLOTS;
}
