/**
 * Bench-only worker: the production workflow code (as `noopFanout`) with no-op activities. Pages
 * are synthetic (ids 1..BENCH_NOOP_INVOICES), every charge returns `paid` at once. Same worker
 * options as src/worker.ts (activity slots, task-queue rate limit), same environment variables.
 */
import { Worker } from '@temporalio/worker';
import { connectWorkerConnection, loadTemporalConnectionSettings } from '../../src/temporal/connection';
import type Stripe from 'stripe';
import { createActivities, type ChargeInvoiceInput, type InvoicePageQuery, type WorkerSettings } from '../../src/activities';
import type { HeldClaims } from '../../src/activities/held-claims';
import type { InvoiceRunResult } from '../../src/billing/run-outcome';
import type { InvoiceRef } from '../../src/shared';
import type { Pool } from '../../src/db/pool';
import { activitySlotsForChargeRate } from '../../src/charge-concurrency';
import { STRIPE_ENDPOINT_DEFAULT_PER_SECOND } from '../../src/config';

function intEnv(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

const total = intEnv('BENCH_NOOP_INVOICES', 1000);

/**
 * A no-op for every activity the production worker registers (the workflow may call list
 * activities of other phases): listDueInvoices pages the synthetic ids, chargeInvoice pays at
 * once, describeHeldClaims reports none, every other list* finds nothing. Built from
 * createActivities' names (its dependencies are only stored at creation, never used here).
 */
function noopActivities(): Record<string, (...args: never[]) => Promise<unknown>> {
  const names = Object.keys(createActivities({ db: {} as unknown as Pool, stripe: {} as unknown as Stripe }));
  const out: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const name of names) {
    out[name] = name.startsWith('list') ? () => Promise.resolve([]) : () => Promise.reject(new Error(`${name} is not part of the no-op bench`));
  }
  out.listDueInvoices = (q: InvoicePageQuery): Promise<InvoiceRef[]> => {
    const page: InvoiceRef[] = [];
    for (let id = q.afterId + 1; id <= Math.min(total, q.afterId + q.limit); id += 1) page.push({ id, amountCents: 5000, currency: 'usd' });
    return Promise.resolve(page);
  };
  // The end-of-run report: no other run holds claims in a synthetic run (refusing it would add
  // the report's retry backoff, seconds, to the ceiling's wall time).
  out.describeHeldClaims = (): Promise<HeldClaims> => Promise.resolve({ count: 0, holders: [] });
  // The run derives its concurrency from the rate, as against the real worker.
  out.workerSettings = (): Promise<WorkerSettings> => Promise.resolve({ chargeRatePerSecond: Number(process.env.STRIPE_RATE_LIMIT_PER_SECOND ?? STRIPE_ENDPOINT_DEFAULT_PER_SECOND) });
  out.chargeInvoice = (input: ChargeInvoiceInput): Promise<InvoiceRunResult> =>
    Promise.resolve({ invoice_id: input.invoiceId, status: 'paid', payment_intent_id: `pi_noop_${input.invoiceId}`, amount_cents: 5000, currency: 'usd' });
  return out;
}

async function main(): Promise<void> {
  const taskQueue = process.env.TASK_QUEUE ?? 'bench-noop';
  // As src/worker.ts connects: TEMPORAL_* and TLS settings (mutual TLS on the cluster bench).
  const settings = loadTemporalConnectionSettings({ address: '127.0.0.1:7233', namespace: 'default' });
  const address = settings.describe;
  const connection = await connectWorkerConnection(settings);
  try {
    const rate = process.env.STRIPE_RATE_LIMIT_PER_SECOND;
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue,
      workflowsPath: require.resolve('./workflows'),
      activities: noopActivities(),
      ...(rate ? { maxTaskQueueActivitiesPerSecond: Number(rate) } : {}),
      maxConcurrentActivityTaskExecutions: intEnv('WORKER_ACTIVITY_SLOTS', activitySlotsForChargeRate(Number(rate ?? STRIPE_ENDPOINT_DEFAULT_PER_SECOND))),
    });
    console.log(`worker polling task queue "${taskQueue}" on ${address} (no-op activities, ${total} synthetic invoices)`);
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(`no-op worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
