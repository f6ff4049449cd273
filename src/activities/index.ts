import { randomUUID } from 'node:crypto';
import { STRIPE_ENDPOINT_DEFAULT_PER_SECOND } from '../config';
import { createNotifier } from '../notify';
import type { Notifier } from '../notify/notifier';
import { makeApplyStripeEvent } from './apply-stripe-event';
import { makeAuthenticationActivities } from './authentication';
import { makeChargeInvoice } from './charge-invoice';
import { DEFAULT_TIMINGS, type ActivityDeps } from './deps';
import { makeListActivities } from './list-invoices';
import { makePreviewInvoices } from './preview-invoices';
import { leaseOnly } from '../temporal/claim-owners';
import { makeHeldClaimsActivity } from './held-claims';
import { makeWorkerSettings } from './worker-settings';

export type { ActivityDeps } from './deps';
export type { ChargeInvoiceInput } from './charge-invoice';
export type { InvoicePageQuery } from './list-invoices';
export type { WorkerSettings } from './worker-settings';

/** Builds the activities from their dependencies; the worker and tests call this. */
export function createActivities(
  deps: Pick<ActivityDeps, 'db' | 'stripe'> & Partial<Omit<ActivityDeps, 'db' | 'stripe'>> & { notifier?: Notifier },
) {
  const full: ActivityDeps = {
    clock: () => new Date(),
    randomId: () => randomUUID(),
    claimOwner: leaseOnly,
    chargeRatePerSecond: STRIPE_ENDPOINT_DEFAULT_PER_SECOND,
    ...DEFAULT_TIMINGS,
    ...deps,
  };
  const notifier = deps.notifier ?? createNotifier({});
  return {
    ...makeListActivities(full),
    ...makeAuthenticationActivities({ ...full, notifier }),
    chargeInvoice: makeChargeInvoice(full),
    previewInvoices: makePreviewInvoices(full),
    describeHeldClaims: makeHeldClaimsActivity(full),
    applyStripeEvent: makeApplyStripeEvent(full),
    workerSettings: makeWorkerSettings(full),
  };
}

export type Activities = ReturnType<typeof createActivities>;
