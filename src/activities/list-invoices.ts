import { listDueInvoices, listRetryDueInvoices } from '../db/invoices';
import type { InvoiceRef } from '../shared';
import type { ActivityDeps } from './deps';
import { makeRecoverListing } from './recover-claims';

export interface InvoicePageQuery {
  /** ISO time; ignored for claims, whose leases use the worker's clock. */
  asOf: string;
  afterId: number;
  limit: number;
  /** Recovery: the listing run, whose own claims are never listed. */
  claimRunId?: string;
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
    /** One page of claims to resolve: owner run closed (asked of Temporal) or lease expired. */
    listClaimsToRecover: makeRecoverListing(deps),
  };
}
