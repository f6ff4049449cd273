export { chargePendingInvoices } from './charge-pending-invoices';
export { progressQuery } from './charge-run';
export { authenticationFollowUp, authenticationSettledSignal } from './authentication-follow-up';
export { processStripeEvent } from './process-stripe-event';
