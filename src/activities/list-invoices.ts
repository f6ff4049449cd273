import { listDueInvoices, listExpiredClaims, listRetryDueInvoices } from '../db/invoices';
import type { InvoiceRef } from '../shared';
import type { ActivityDeps } from './deps';

export interface InvoicePageQuery {
  /** ISO time; ignored for expired claims, which use the worker's clock. */
  asOf: string;
  afterId: number;
  limit: number;
}

export function makeListActivities(deps: ActivityDeps) {
  return {
    /** One keyset page of due, pending invoices: ids (with amount for the Web UI summary). */
    async listDueInvoices(q: InvoicePageQuery): Promise<InvoiceRef[]> {
      return listDueInvoices(deps.db, { asOf: new Date(q.asOf), afterId: q.afterId, limit: q.limit });
    },
    /** One page of failed invoices that dunning charges again (retry time come, or a new card). */
    async listRetryDueInvoices(q: InvoicePageQuery): Promise<InvoiceRef[]> {
      return listRetryDueInvoices(deps.db, { asOf: new Date(q.asOf), afterId: q.afterId, limit: q.limit });
    },
    /** One page of invoices whose claim's lease expired: the recovery sweep resolves them. */
    async listExpiredClaims(q: InvoicePageQuery): Promise<InvoiceRef[]> {
      return listExpiredClaims(deps.db, { now: deps.clock(), afterId: q.afterId, limit: q.limit });
    },
  };
}
