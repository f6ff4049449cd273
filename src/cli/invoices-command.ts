import { formatMoney } from '../billing/money';
import type { InvoiceReportRow } from '../db/reports';
import type { ClaimHolder, HeldClaims } from '../activities/held-claims';
import { loadClientConfig } from '../config';
import { leaseOnly, temporalClaimOwnerLookup, type ClaimOwnerLookup } from '../temporal/claim-owners';
import { connectClient } from './connect';
import { formatAge } from './print-summary';
import { table } from './table';

/** "next" in words when there is no retry time: what has to happen first. */
function nextInWords(r: InvoiceReportRow): string {
  if (r.nextAttemptAt) return r.nextAttemptAt.toISOString();
  if (r.status === 'requires_auth') return 'when the customer authenticates';
  if (r.status !== 'failed') return '';
  switch (r.dunningStoppedReason) {
    case 'hard_decline': return 'never on this card; at once on a new payment method';
    case 'needs_new_payment_method': return 'when a new payment method is on file';
    case 'attempts_exhausted': return 'none: attempts exhausted';
    case 'not_retryable': return 'none: not retryable';
    case 'authentication_expired': return 'none: authentication expired';
    default: return r.dunningStoppedReason ? `none: ${r.dunningStoppedReason}` : '';
  }
}

/** The decision's inputs in one line: codes, card, budget counts and windows. */
function describeInputs(json: string): string {
  let inputs: Record<string, unknown>;
  try {
    inputs = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return '';
  }
  const parts: string[] = [];
  for (const key of ['code', 'decline_code', 'advice_code', 'network_advice_code', 'network_decline_code', 'network', 'charge_attempts', 'scheduled_at', 'advised_not_before']) {
    const v = inputs[key];
    if (typeof v === 'string' || typeof v === 'number') parts.push(`${key}=${v}`);
  }
  const budgets = inputs.budgets;
  if (Array.isArray(budgets)) {
    for (const b of budgets as Array<{ budget?: unknown; used?: unknown; maxAttempts?: unknown }>) {
      parts.push(`${String(b.budget)} ${String(b.used)}/${String(b.maxAttempts)}`);
    }
  }
  return parts.join(', ');
}

export function formatInvoiceReport(rows: InvoiceReportRow[]): string {
  if (rows.length === 0) return 'no invoices in these states';
  const overview = table(
    ['invoice', 'status', 'amount', 'attempts', 'retries', 'last attempt', 'next', 'last decline', 'why', 'payment_intent'],
    rows.map((r) => [
      String(r.id),
      r.status,
      r.amountCents === null ? '-' : formatMoney(r.amountCents, r.currency.toLowerCase()),
      String(r.attempts),
      String(r.retries),
      r.lastAttemptAt?.toISOString() ?? '',
      nextInWords(r),
      r.lastFailure ?? '',
      r.status === 'failed' ? (r.decision?.rule ?? r.dunningStoppedReason ?? '') : '',
      r.paymentIntentId ?? '',
    ]),
  );
  // The full explanation of each failed invoice: the rule, in words, and what it was decided from.
  const failed = rows.filter((r) => r.status === 'failed');
  if (failed.length === 0) return overview;
  const details = failed.map((r) => {
    const why = r.decision ? `${r.decision.rule}: ${r.decision.reason}` : (r.dunningStoppedReason ?? 'no decision recorded');
    const inputs = r.decision ? describeInputs(r.decision.inputs) : '';
    return [
      `invoice ${r.id}`,
      `  why:  ${why}`,
      ...(inputs ? [`        from ${inputs} (decided ${r.decision?.decidedAt.toISOString() ?? ''})`] : []),
      `  next: ${nextInWords(r) || 'none'}`,
    ].join('\n');
  });
  return `${overview}\n\n${details.join('\n')}`;
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
