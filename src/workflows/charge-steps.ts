/**
 * The per-page steps of a charging run: charge each invoice in its own activity (at most
 * `concurrency` at once), start the 3-D Secure follow-up of an invoice that needs it, and the
 * dry run's preview. No I/O here.
 */
import {
  ActivityFailure, ApplicationFailure, log, ParentClosePolicy, proxyActivities, startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { formatMoney } from '../billing/money';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { SYSTEMIC_STRIPE_ERROR, type InvoiceRef } from '../shared';
import { authenticationFollowUp, authenticationFollowUpId } from './authentication-follow-up';
import type { ChargeRun, ListedInvoice, PageInvoice, Phase } from './charge-run';
import { enqueueCharge } from './customer-lanes';
import { addResult } from './run-summary';
import { INVOICE_ID } from './search-attributes';

// SDK timeout (20 s) < start-to-close; ~12 tries with backoff end within minutes, far inside
// Stripe's 24 h idempotency-key retention, and inside the claim lease that recovery waits for.
const { chargeInvoice } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 12,
    nonRetryableErrorTypes: [SYSTEMIC_STRIPE_ERROR],
  },
});

const { previewInvoices } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 20 },
});

/**
 * Starts a charge for each invoice of the page, waiting while `concurrency` are in flight; one
 * customer's invoices go one after another in that customer's lane (customer-lanes.ts).
 */
export async function chargeEach(run: ChargeRun, page: PageInvoice[]): Promise<void> {
  for (const invoice of page) {
    // The phase that listed it travels with it: a lane may charge it after the run moved on (or
    // continued as new: handed-over invoices keep theirs).
    const listed: ListedInvoice = { ...invoice, listedIn: invoice.listedIn ?? run.phase };
    if (!(await enqueueCharge(run, listed, (next, queued) => chargeOne(run, next, next.listedIn, queued)))) return;
  }
}

/**
 * Task-queue priority of a charge that waited in its customer's lane (1 is the highest, Temporal's
 * default is 3): it goes ahead of the run's backlog of fresh charges, so a customer with many
 * invoices is charged at the pace of Stripe's latency, not of the backlog. The rate limit still
 * counts it, so the run's overall rate does not change.
 */
const LANE_PRIORITY = 2;

/** One invoice's charge; never throws (the lane frees its slot after it). `phase` listed it. */
async function chargeOne(run: ChargeRun, invoice: InvoiceRef, phase: Phase, queued: boolean): Promise<void> {
  try {
    const options = { summary: chargeSummary(invoice), ...(queued && { priority: { priorityKey: LANE_PRIORITY } }) };
    const result = await chargeInvoice.executeWithOptions(options, [
      {
        invoiceId: invoice.id, asOf: run.asOf, claimRunId: run.claimRunId,
        ...(invoice.takeOverFrom !== undefined && { takeOverFrom: invoice.takeOverFrom }),
      },
    ]);
    addResult(run.tally, result, run.maxResults, phase);
    if (result.status === 'requires_auth') await followUpAuthentication(result);
  } catch (err) {
    if (isSystemic(err)) {
      run.systemicStop ??= rootMessage(err);
      return;
    }
    // Retries exhausted with the outcome unknown: the claim's lease expires and the next
    // run's recovery resolves the attempt with its original key. Never guessed here.
    addResult(run.tally, {
      invoice_id: invoice.id,
      status: 'processing',
      error: `outcome not yet known (${rootMessage(err)}); recovery will resolve it`,
    }, run.maxResults, phase);
  }
}

/** Dry run: what each invoice of the page would get in this phase, from reads only. */
export async function previewEach(run: ChargeRun, page: InvoiceRef[]): Promise<void> {
  const { phase } = run;
  const refs = phase === 'recover' ? { refs: page } : {};
  for (const result of await previewInvoices({ invoiceIds: page.map((i) => i.id), asOf: run.asOf, phase, ...refs })) {
    addResult(run.tally, result, run.maxResults, phase);
  }
}

/** Starts the 3-D Secure follow-up of this attempt; it outlives the run (ABANDON). */
async function followUpAuthentication(result: InvoiceRunResult): Promise<void> {
  if (!result.payment_intent_id || result.attempt === undefined) return;
  try {
    await startChild(authenticationFollowUp, {
      workflowId: authenticationFollowUpId(result.invoice_id, result.attempt),
      args: [{ invoiceId: result.invoice_id, paymentIntentId: result.payment_intent_id }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `3-D Secure follow-up for invoice ${result.invoice_id}`,
      // Findable in the Web UI list: `InvoiceId = "17"`.
      typedSearchAttributes: [{ key: INVOICE_ID, value: String(result.invoice_id) }],
    });
  } catch (err) {
    // A retried run finds the follow-up of this attempt already going: that is the one we want.
    // Anything else is logged: the invoice's outcome is recorded either way.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      log.warn('could not start the 3-D Secure follow-up', { invoiceId: result.invoice_id, error: rootMessage(err) });
    }
  }
}

function chargeSummary(invoice: InvoiceRef): string {
  const amount = invoice.amountCents === null ? 'no amount' : formatMoney(invoice.amountCents, invoice.currency.toLowerCase());
  return invoice.reason !== undefined ? `resolve claim on invoice ${invoice.id} · ${amount} · ${invoice.reason}` : `charge invoice ${invoice.id} · ${amount}`;
}

function isSystemic(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === SYSTEMIC_STRIPE_ERROR;
}

function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
