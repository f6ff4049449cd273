/**
 * Which claims a run resolves in its recover phase: those whose lease expired, and at once those
 * whose owning run Temporal reports closed (it can never come back to them). A claim whose owner
 * is running is left alone; when Temporal cannot tell, only the lease decides.
 */
import { listProcessingClaims, type ProcessingClaim } from '../db/invoices';
import type { InvoiceRef } from '../shared';
import { cachedLookup, type ClaimOwnerLookup } from '../temporal/claim-owners';
import type { ActivityDeps } from './deps';

export type ClaimVerdict =
  | { resolve: true; reason: string; takeOverFrom?: string }
  | { resolve: false; reason: string };

export async function judgeClaim(claim: ProcessingClaim, now: Date, lookup: ClaimOwnerLookup, ownRunId?: string): Promise<ClaimVerdict> {
  if (claim.claimRunId !== null && claim.claimRunId === ownRunId) return { resolve: false, reason: 'held by this run' };
  const leaseExpired = claim.leaseExpiresAt !== null && claim.leaseExpiresAt.getTime() < now.getTime();
  if (claim.claimRunId === null) {
    return leaseExpired ? { resolve: true, reason: 'lease expired' } : { resolve: false, reason: 'no owner recorded; waiting for the lease' };
  }
  const owner = await lookup(claim.claimRunId);
  if (owner.state === 'closed') {
    return { resolve: true, reason: `owner run ${owner.status.toLowerCase()}`, takeOverFrom: claim.claimRunId };
  }
  if (leaseExpired) return { resolve: true, reason: owner.state === 'running' ? 'lease expired (owner still running)' : 'lease expired' };
  return owner.state === 'running'
    ? { resolve: false, reason: 'owner run is running' }
    : { resolve: false, reason: `owner unknown to Temporal (${owner.reason}); waiting for the lease` };
}

/** Claims scanned per query while collecting one page of claims to resolve. */
const SCAN_PAGE = 500;

export function makeRecoverListing(deps: ActivityDeps) {
  /**
   * One page of claims the run resolves, in id order. Claims left alone are skipped over here
   * (they are few: the charges in flight of open runs), so the run's cursor stays the last id.
   */
  return async function listClaimsToRecover(q: { afterId: number; limit: number; claimRunId?: string }): Promise<InvoiceRef[]> {
    const lookup = cachedLookup(deps.claimOwner);
    const now = deps.clock();
    const refs: InvoiceRef[] = [];
    let afterId = q.afterId;
    for (;;) {
      const claims = await listProcessingClaims(deps.db, { afterId, limit: SCAN_PAGE });
      for (const claim of claims) {
        const verdict = await judgeClaim(claim, now, lookup, q.claimRunId);
        if (!verdict.resolve) continue;
        refs.push({
          id: claim.id, amountCents: claim.amountCents, currency: claim.currency, reason: verdict.reason,
          ...(verdict.takeOverFrom !== undefined && { takeOverFrom: verdict.takeOverFrom }),
        });
        if (refs.length >= q.limit) return refs;
      }
      if (claims.length < SCAN_PAGE) return refs;
      afterId = claims[claims.length - 1].id;
    }
  };
}
