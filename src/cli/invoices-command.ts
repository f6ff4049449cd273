import { formatMoney } from '../billing/money';
import type { InvoiceReportRow } from '../db/reports';
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
