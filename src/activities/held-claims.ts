/** Claims held by other runs, for a run's summary and the `invoices` report: count, age, owner. */
import { listClaimHolders } from '../db/reports';
import type { Db } from '../db/sql';
import { cachedLookup, type ClaimOwnerLookup } from '../temporal/claim-owners';
import type { ActivityDeps } from './deps';

export interface ClaimHolder {
  /** `workflowId/runId`, or null for a claim without an owner. */
  claimRunId: string | null;
  count: number;
  oldestClaimedAt?: string;
  /** What Temporal says of the owner: running keeps its claims; closed ones are resolved by the next run. */
  owner: 'running' | 'closed' | 'unknown';
  ownerStatus?: string;
  leaseExpiresAt?: string;
}

export interface HeldClaims {
  count: number;
  oldestClaimedAt?: string;
  oldestAgeSeconds?: number;
  holders: ClaimHolder[];
}

const MAX_HOLDERS = 20;

export async function describeClaimHolders(db: Db, lookup: ClaimOwnerLookup, now: Date, exceptRunId?: string): Promise<HeldClaims> {
  const rows = await listClaimHolders(db, { exceptRunId, limit: MAX_HOLDERS });
  const ask = cachedLookup(lookup);
  const holders: ClaimHolder[] = [];
  for (const r of rows) {
    const owner = r.claimRunId === null ? { state: 'unknown' as const } : await ask(r.claimRunId);
    holders.push({
      claimRunId: r.claimRunId,
      count: r.count,
      ...(r.oldestClaimedAt && { oldestClaimedAt: r.oldestClaimedAt.toISOString() }),
      owner: owner.state,
      ...(owner.state === 'closed' && { ownerStatus: owner.status }),
      ...(r.leaseExpiresAt && { leaseExpiresAt: r.leaseExpiresAt.toISOString() }),
    });
  }
  const oldest = rows.map((r) => r.oldestClaimedAt?.getTime()).filter((t): t is number => t !== undefined).sort((a, b) => a - b)[0];
  return {
    count: rows.reduce((n, r) => n + r.count, 0),
    ...(oldest !== undefined && { oldestClaimedAt: new Date(oldest).toISOString(), oldestAgeSeconds: Math.max(0, Math.round((now.getTime() - oldest) / 1000)) }),
    holders,
  };
}

export function makeHeldClaimsActivity(deps: ActivityDeps) {
  /** Claims held by runs other than `claimRunId` when the run ends. */
  return async function describeHeldClaims(q: { claimRunId: string }): Promise<HeldClaims> {
    return describeClaimHolders(deps.db, deps.claimOwner, deps.clock(), q.claimRunId);
  };
}
