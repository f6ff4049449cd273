-- Dunning, second branch of listRetryDueInvoices (src/db/dunning.ts): failed invoices whose
-- customer now has another card than the one that failed. Covering (id is the implicit suffix),
-- so the branch reads only this index and the customer rows, never the invoice rows: on a big
-- table those are mostly cold pages. Built online on both servers (a DBA can run it ahead).
ALTER TABLE invoice
  ADD KEY idx_invoice_status_failed_card (status, failed_payment_method_id, customer_id, next_attempt_at),
  ALGORITHM=INPLACE, LOCK=NONE;
