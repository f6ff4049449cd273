/**
 * Business metrics from the worker's activity interceptor: what chargeInvoice and
 * applyStripeEvent return (or the systemic failure chargeInvoice throws) is counted here, so the
 * activities stay as they are. Runs in the worker's Node context, not in workflow code.
 */
import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ChargeInvoiceInput } from '../activities/charge-invoice';
import type { StripeEventResult } from '../activities/apply-stripe-event';
import type { InvoiceRunResult } from '../billing/run-outcome';
import { attemptFailureCodes } from '../db/metrics-queries';
import type { Db } from '../db/sql';
import { SYSTEMIC_STRIPE_ERROR } from '../shared';
import { currencyLabel, labelValue, type BusinessMetrics } from './business-metrics';

/** Runs counted as stopped, so the many charges of one run that all meet a revoked key count once. */
const REMEMBERED_STOPPED_RUNS = 1000;

export function metricsActivityInterceptors(metrics: BusinessMetrics, db: Db): ActivityInterceptorsFactory {
  const stoppedRuns = new Set<string>();

  async function countCharge(result: InvoiceRunResult): Promise<void> {
    let declineCode = '';
    if ((result.status === 'failed' || result.status === 'requires_auth') && result.attempt !== undefined) {
      // The run's entry carries the message, not the codes: the attempt's row has them.
      const codes = await attemptFailureCodes(db, result.invoice_id, result.attempt).catch(() => undefined);
      declineCode = labelValue(codes?.declineCode ?? codes?.failureCode ?? 'unknown');
    }
    const currency = result.currency === undefined ? '' : currencyLabel(result.currency);
    metrics.charges.inc({ outcome: labelValue(result.status), currency, decline_code: declineCode });
    if (result.status === 'paid' && result.amount_cents !== undefined) {
      metrics.chargedAmount.inc({ currency }, result.amount_cents);
    }
    if (result.retry) metrics.dunningRetriesCharged.inc({ outcome: labelValue(result.status) });
    if (result.status === 'failed' && result.next_attempt_at !== undefined) {
      metrics.dunningRetriesScheduled.inc({ decline_code: declineCode });
    }
  }

  function countSystemicStop(input: ChargeInvoiceInput | undefined, err: unknown): void {
    if (!(err instanceof ApplicationFailure) || err.type !== SYSTEMIC_STRIPE_ERROR) return;
    const run = input?.claimRunId ?? 'unknown';
    if (stoppedRuns.has(run)) return;
    stoppedRuns.add(run);
    if (stoppedRuns.size > REMEMBERED_STOPPED_RUNS) stoppedRuns.delete(stoppedRuns.values().next().value as string);
    metrics.runsStopped.inc({ reason: systemicReason(err.message) });
  }

  const charge: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      metrics.chargesInFlight.inc();
      try {
        const result = (await next(input)) as InvoiceRunResult;
        // A metric is never worth failing a charge whose outcome is already recorded.
        await countCharge(result).catch(() => undefined);
        return result;
      } catch (err) {
        countSystemicStop(input.args[0] as ChargeInvoiceInput | undefined, err);
        throw err;
      } finally {
        metrics.chargesInFlight.dec();
      }
    },
  };

  const settlement: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      const result = (await next(input)) as StripeEventResult;
      if (!result.alreadyProcessed) metrics.webhookSettlements.inc({ action: labelValue(result.action) });
      return result;
    },
  };

  return (ctx: Context) => {
    switch (ctx.info.activityType) {
      case 'chargeInvoice':
        return { inbound: charge };
      case 'applyStripeEvent':
        return { inbound: settlement };
      default:
        return {};
    }
  };
}

/** A fixed word for the systemic messages of src/billing/charge-outcome.ts (401, 403). */
export function systemicReason(message: string): string {
  if (/\(401\)/.test(message)) return 'api_key_rejected';
  if (/\(403\)/.test(message)) return 'permission_denied';
  return 'other';
}
