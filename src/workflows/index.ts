export { chargePendingInvoices, progressQuery } from './charge-pending-invoices';
