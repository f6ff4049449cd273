import type { LedgerEntry } from './types';

/**
 * Every succeeded charge, oldest first: the ground truth for "exactly one succeeded charge per
 * invoice" (group by `metadata.invoice_id`). A PaymentIntent succeeds at most once, so it appears
 * at most once.
 */
export class Ledger {
  private entries: LedgerEntry[] = [];
  private readonly seen = new Set<string>();

  record(entry: LedgerEntry): void {
    if (this.seen.has(entry.paymentIntentId)) return;
    this.seen.add(entry.paymentIntentId);
    this.entries.push({ ...entry, metadata: { ...entry.metadata } });
  }

  list(): LedgerEntry[] {
    return this.entries.map((e) => ({ ...e, metadata: { ...e.metadata } }));
  }

  clear(): void {
    this.entries = [];
    this.seen.clear();
  }
}
