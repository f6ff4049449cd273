/**
 * The engine's ceiling: the production fan-out (paging, concurrency bound, continue-as-new,
 * tally) registered under a bench-only type name. The bench no-op worker pairs it with
 * activities that do nothing, so only Temporal's own cost remains. Not part of src/workflows.
 */
export { chargePendingInvoices as noopFanout } from '../../src/workflows/charge-pending-invoices';
