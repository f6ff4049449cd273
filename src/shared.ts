/** The one task queue the worker polls and every run is started on. */
export const TASK_QUEUE = 'invoice-charging';
/** The workflow type users start by name (`temporal workflow start --type ...`). */
export const CHARGE_WORKFLOW_TYPE = 'chargePendingInvoices';

/** Failure types raised by activities, known by name to the workflow and the retry policy. */
export const SYSTEMIC_STRIPE_ERROR = 'SystemicStripeError';
export const TRANSIENT_STRIPE_ERROR = 'TransientStripeError';
