/** Dry run: what a run would do with each invoice, from reads only: no claim, no Stripe call. */
import { assessEligibility, isDue } from '../billing/charge-eligibility';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { formatMoney } from '../billing/money';
import { loadInvoice, UnknownStateError } from '../db/invoices';
import type { ActivityDeps } from './deps';

export function makePreviewInvoices(deps: ActivityDeps) {
  return async function previewInvoices(input: { invoiceIds: number[]; asOf: string }): Promise<InvoiceRunResult[]> {
    const asOf = new Date(input.asOf);
    const results: InvoiceRunResult[] = [];
    for (const invoiceId of input.invoiceIds) {
      const invoice = await loadInvoice(deps.db, invoiceId, false).catch((err: unknown) => {
        if (err instanceof UnknownStateError) return err;
        throw err;
      });
      if (invoice instanceof UnknownStateError) {
        results.push({ invoice_id: invoiceId, status: 'skipped', error: `would skip: ${invoice.message}` });
        continue;
      }
      if (!invoice || invoice.status !== 'pending' || (invoice.dueDate !== null && !isDue(invoice, asOf))) {
        results.push({ invoice_id: invoiceId, status: 'skipped', error: `would skip: invoice is ${invoice?.status ?? 'missing'} or not due` });
        continue;
      }
      const eligibility = assessEligibility(invoice);
      if (eligibility.kind === 'chargeable') {
        const { amountCents, currency, stripeCustomerId, stripePaymentMethodId } = eligibility.request;
        results.push({
          invoice_id: invoiceId, status: 'would_charge', amount_cents: amountCents, currency,
          error: `would charge ${formatMoney(amountCents, currency)} to ${stripeCustomerId} / ${stripePaymentMethodId}`,
        });
      } else {
        results.push({
          invoice_id: invoiceId,
          status: eligibility.kind === 'invalid' ? 'failed' : 'skipped',
          error: `would ${eligibility.kind === 'invalid' ? 'fail' : 'skip'}: ${eligibility.code}: ${eligibility.message}`,
        });
      }
    }
    return results;
  };
}
