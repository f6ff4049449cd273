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
 * Seconds of a charge's whole cycle (task-queue wait, claim, PaymentIntent, record, workflow
 * task) that the derived concurrency covers at the rate. Measured ~0.8 s at 100/s on 2 cores;
 * 1.5 s leaves headroom for a busy machine (BENCHMARKS.md: 150 in flight reached 98.2 % of
 * 100/s, 75 only 92.6 %).
 */
export const CHARGE_CYCLE_HEADROOM_SECONDS = 1.5;

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
