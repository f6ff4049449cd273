/**
 * Gauges read from the database when Prometheus scrapes (prom-client's `collect`), so they are
 * as fresh as the scrape and cost nothing between scrapes. The three gauges share one query per
 * scrape. A failed read keeps the last values and counts an error: the scrape itself never fails.
 */
import { Counter, Gauge } from 'prom-client';
import { invoiceHealthCounts, type InvoiceHealthCounts } from '../db/metrics-queries';
import type { Db } from '../db/sql';
import type { BusinessMetrics } from './business-metrics';

/** Scrapes closer together than this (several Prometheis, one scrape's concurrent collects) share a read. */
const SHARED_READ_MS = 1_000;

const GAUGES: { name: string; help: string; field: keyof InvoiceHealthCounts }[] = [
  {
    name: 'invoice_processing_stale',
    help: "Invoices in 'processing' whose claim lease has expired (database, read at scrape time, capped)",
    field: 'processingStale',
  },
  {
    name: 'invoice_authentication_follow_ups_open',
    help: "Invoices in 'requires_auth': 3-D Secure follow-ups waiting for the customer (database, at scrape time, capped)",
    field: 'awaitingAuthentication',
  },
  {
    name: 'invoice_due_pending',
    help: "Invoices 'pending' and due whose customer has a payment method: what the next run charges (database, at scrape time, capped)",
    field: 'duePending',
  },
];

export function collectDatabaseGauges(metrics: BusinessMetrics, db: Db, clock: () => Date = () => new Date()): void {
  let last: { at: number; read: Promise<InvoiceHealthCounts | undefined> } | undefined;
  const errors = new Counter({
    name: 'invoice_metrics_db_errors_total',
    help: 'Scrapes whose database gauges could not be read (the gauges keep their last value)',
    registers: [metrics.registry],
    // Waits for this scrape's read, so a failure shows in the same scrape.
    async collect() {
      await read();
    },
  });
  const read = (): Promise<InvoiceHealthCounts | undefined> => {
    const now = clock();
    if (!last || now.getTime() - last.at > SHARED_READ_MS) {
      last = {
        at: now.getTime(),
        read: invoiceHealthCounts(db, now).catch(() => {
          errors.inc();
          return undefined;
        }),
      };
    }
    return last.read;
  };
  for (const { name, help, field } of GAUGES) {
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      // Called with the gauge as `this` before each scrape reads it.
      async collect() {
        const counts = await read();
        if (counts) this.set(counts[field]);
      },
    });
  }
}
