import { formatMoney } from '../billing/money';
import type { InvoiceReportRow } from '../db/reports';
import type { ClaimHolder, HeldClaims } from '../activities/held-claims';
import { loadClientConfig } from '../config';
import { leaseOnly, temporalClaimOwnerLookup, type ClaimOwnerLookup } from '../temporal/claim-owners';
import { connectClient } from './connect';
import { formatAge } from './print-summary';
import { table } from './table';

export function formatInvoiceReport(rows: InvoiceReportRow[]): string {
  if (rows.length === 0) return 'no invoices in these states';
  return table(
    ['invoice', 'status', 'amount', 'attempts', 'retries', 'last attempt', 'next attempt', 'last decline', 'retries stopped', 'payment_intent'],
    rows.map((r) => [
      String(r.id),
      r.status,
      r.amountCents === null ? '-' : formatMoney(r.amountCents, r.currency.toLowerCase()),
      String(r.attempts),
      String(r.retries),
      r.lastAttemptAt?.toISOString() ?? '',
      r.nextAttemptAt?.toISOString() ?? '',
      r.lastFailure ?? '',
      r.dunningStoppedReason ?? '',
      r.paymentIntentId ?? '',
    ]),
  );
}

/** The runs holding `processing` claims, oldest first: how many, since when, and Temporal's view of the owner. */
export function formatHeldClaims(held: HeldClaims): string {
  if (held.count === 0) return 'claims held by runs: none';
  return [
    `claims held by runs: ${held.count}, oldest ${formatAge(held.oldestAgeSeconds ?? 0)}`,
    table(
      ['owner run', 'claims', 'oldest claim', 'owner state', 'lease expires'],
      held.holders.map((h) => [
        h.claimRunId ?? '(none)', String(h.count), h.oldestClaimedAt ?? '', ownerState(h), h.leaseExpiresAt ?? '',
      ]),
    ),
  ].join('\n');
}

function ownerState(h: ClaimHolder): string {
  if (h.owner === 'closed') return `${(h.ownerStatus ?? 'closed').toLowerCase()}: the next run resolves them`;
  if (h.owner === 'running') return 'running';
  return 'unknown to Temporal: resolved after the lease';
}

/** Temporal, when the client config and the server allow it; otherwise every owner is "unknown". */
export async function claimOwnerLookupForCli(): Promise<{ lookup: ClaimOwnerLookup; close: () => Promise<void> }> {
  try {
    const { client, close } = await connectClient(loadClientConfig());
    return { lookup: temporalClaimOwnerLookup(client), close };
  } catch {
    return { lookup: leaseOnly, close: () => Promise.resolve() };
  }
}
