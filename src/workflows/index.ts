export { chargePendingInvoices, progressQuery } from './charge-pending-invoices';
export { authenticationFollowUp, authenticationSettledSignal } from './authentication-follow-up';
export { processStripeEvent } from './process-stripe-event';
