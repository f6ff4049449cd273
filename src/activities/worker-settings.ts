/**
 * What a run's defaults depend on that only the worker knows: the charge rate its task queue is
 * held to (STRIPE_RATE_LIMIT_PER_SECOND). A run derives its concurrency from it, so raising the
 * limit is one setting on the worker, not a second one on every run or schedule.
 */
import type { ActivityDeps } from './deps';

export interface WorkerSettings {
  /** Charges per second on the task queue (maxTaskQueueActivitiesPerSecond). */
  chargeRatePerSecond: number;
}

export function makeWorkerSettings(deps: Pick<ActivityDeps, 'chargeRatePerSecond'>) {
  return function workerSettings(): Promise<WorkerSettings> {
    return Promise.resolve({ chargeRatePerSecond: deps.chargeRatePerSecond });
  };
}
