/** The one task queue the worker polls and every run is started on. */
export const TASK_QUEUE = 'invoice-charging';
/** The workflow type users start by name (`temporal workflow start --type ...`). */
export const CHARGE_WORKFLOW_TYPE = 'chargePendingInvoices';

/** Failure types raised by activities, known by name to the workflow and the retry policy. */
export const SYSTEMIC_STRIPE_ERROR = 'SystemicStripeError';
export const TRANSIENT_STRIPE_ERROR = 'TransientStripeError';

/** How long a customer has to finish a 3-D Secure authentication before the invoice fails. */
export const AUTHENTICATION_EXPIRY = '7 days';
/** When the customer is reminded, counted from the first notification. */
export const AUTHENTICATION_REMINDERS = ['1 day', '3 days'] as const;

/** Failure type of the webhook activity when its event row is missing: no retry can fix it. */
export const STRIPE_EVENT_NOT_STORED = 'StripeEventNotStored';

/** The Stripe event types whose PaymentIntent we look at; every other type is stored and ignored. */
export const SETTLEMENT_EVENT_TYPES: readonly string[] = ['payment_intent.succeeded', 'payment_intent.payment_failed'];

/** One listed invoice: its id, with the amount for the Web UI summary of its charge. */
export interface InvoiceRef {
  id: number;
  amountCents: number | null;
  currency: string;
  /**
   * The invoice's customer (customer.id): the run charges one customer's invoices one after
   * another (src/workflows/customer-lanes.ts). Optional: pages listed before it existed lack it.
   */
  customerId?: number | null;
  /** Recovery only: the closed run (`workflowId/runId`) whose claim this run may take over now. */
  takeOverFrom?: string;
  /** Recovery only: why the claim is resolved by this run (owner closed, or lease expired). */
  reason?: string;
}
