/**
 * Per-customer lanes: within a run, one customer's charges are sent one after another, never two
 * at once, while different customers go in parallel (up to the run's concurrency). Stripe answers
 * concurrent writes involving the same customer with 429 `lock_timeout`; a lane never causes one.
 * No I/O here.
 *
 * A lane holds one of the run's concurrency slots from its first charge until its queue is empty:
 * an invoice whose customer already has a charge in flight joins that lane's queue (across pages
 * and phases of the run) instead of taking another slot. The lane charges it when the previous
 * charge of that customer is finished, retries included. So `run.inFlight === 0` means that
 * nothing is running; the summary waits for it with nothing queued. Before continue-as-new the
 * run pauses its lanes instead: each lane finishes the charge it has in flight and parks the rest
 * of its queue in `run.parked`, which the next run takes over first (in order, one lane per
 * customer again), so a customer with many invoices does not hold the whole run at the boundary.
 */
import { condition } from '@temporalio/workflow';
import type { InvoiceRef } from '../shared';

/** What a lane needs of the run (a `ChargeRun`). */
export interface LaneRun<T extends InvoiceRef = InvoiceRef> {
  readonly concurrency: number;
  inFlight: number;
  systemicStop?: string;
  /** Invoices waiting behind the charge in flight, by customer id; a customer is a key while its lane runs. */
  readonly lanes: Map<number, T[]>;
  /** Set before continue-as-new: lanes stop after their charge in flight and park their queues. */
  pausing: boolean;
  /** Invoices lanes left queued when they paused, for the next run (in the order they queued). */
  readonly parked: T[];
}

/**
 * The lane of an invoice: its customer. None (undefined) for an invoice without a customer (it is
 * skipped before Stripe is called) and for refs listed by code from before lanes (no customerId:
 * their runs replay as they were recorded).
 */
function laneOf(invoice: InvoiceRef): number | undefined {
  return invoice.customerId ?? undefined;
}

/**
 * Hands `invoice` to its customer's lane, or opens one once a slot is free. Returns false when a
 * systemic stop ends the run (nothing more is started).
 */
/**
 * Charges one invoice; `queued` is true for an invoice that waited in its lane behind its
 * customer's previous charge (the run gives it a higher task-queue priority: see charge-steps.ts).
 */
export type LaneCharge<T> = (invoice: T, queued: boolean) => Promise<void>;

export async function enqueueCharge<T extends InvoiceRef>(run: LaneRun<T>, invoice: T, charge: LaneCharge<T>): Promise<boolean> {
  const customer = laneOf(invoice);
  if (customer !== undefined && run.lanes.has(customer)) {
    // Bounded: the listing waits while `concurrency` invoices queue behind busy customers, so one
    // customer with many invoices neither fills the workflow's memory nor outruns continue-as-new.
    await condition(() => queuedInvoices(run) < run.concurrency || run.systemicStop !== undefined);
    if (run.systemicStop !== undefined) return false;
    const lane = run.lanes.get(customer);
    if (lane !== undefined) {
      lane.push(invoice);
      return true;
    }
    // The lane drained meanwhile: open a new one below.
  }
  // Only this loop opens lanes, and it runs one page at a time, so none opens for `customer` meanwhile.
  await condition(() => run.inFlight < run.concurrency || run.systemicStop !== undefined);
  if (run.systemicStop !== undefined) return false;
  run.inFlight += 1;
  if (customer !== undefined) run.lanes.set(customer, []);
  void drainLane(run, customer, invoice, charge);
  return true;
}

function queuedInvoices(run: LaneRun<InvoiceRef>): number {
  let queued = 0;
  for (const lane of run.lanes.values()) queued += lane.length;
  return queued;
}

async function drainLane<T extends InvoiceRef>(run: LaneRun<T>, customer: number | undefined, first: T, charge: LaneCharge<T>): Promise<void> {
  try {
    let next: T | undefined = first;
    let queued = false;
    while (next !== undefined) {
      await charge(next, queued);
      queued = true;
      // After a systemic stop the queued invoices stay pending, as the ones never listed do.
      if (run.systemicStop !== undefined || customer === undefined || run.pausing) break;
      next = run.lanes.get(customer)?.shift();
    }
  } finally {
    if (customer !== undefined) {
      const rest = run.lanes.get(customer) ?? [];
      run.lanes.delete(customer);
      if (run.pausing && run.systemicStop === undefined) run.parked.push(...rest);
    }
    run.inFlight -= 1;
  }
}
