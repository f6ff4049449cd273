-- The original run job's tables, with the original columns exactly, plus what safe charging needs.
CREATE TABLE customer (
  id                        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  stripe_customer_id        VARCHAR(255) NULL,
  stripe_payment_method_id  VARCHAR(255) NULL,
  created_at                DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at                DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE invoice (
  id                        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id               BIGINT UNSIGNED NULL,
  -- pending | processing | paid | requires_auth | failed (see src/billing/invoice-state.ts)
  status                    VARCHAR(32) NOT NULL DEFAULT 'pending',
  due_date                  DATETIME NULL,
  -- Integer minor units; signed and nullable so bad rows are reported, not rejected at insert.
  amount_cents              BIGINT NULL,
  paid_at                   DATETIME(3) NULL,
  stripe_payment_intent_id  VARCHAR(255) NULL,
  currency                  VARCHAR(16) NOT NULL DEFAULT 'usd',
  attempt_count             INT UNSIGNED NOT NULL DEFAULT 0,
  failure_code              VARCHAR(64) NULL,
  decline_code              VARCHAR(64) NULL,
  failure_message           VARCHAR(1024) NULL,
  -- The claim: which run holds the invoice in 'processing', and until when (lease).
  claim_run_id              VARCHAR(255) NULL,
  claimed_at                DATETIME(3) NULL,
  lease_expires_at          DATETIME(3) NULL,
  created_at                DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at                DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  -- Keyset paging over due invoices: WHERE status='pending' AND due_date <= ? AND id > ? ORDER BY id.
  KEY idx_invoice_status_due_id (status, due_date, id),
  KEY idx_invoice_status_lease (status, lease_expires_at),
  KEY idx_invoice_customer (customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Audit of every attempt, never deleted. A charge attempt's row, with its idempotency key and the
-- exact customer and payment method it sends, is written before Stripe is called (outcome
-- 'in_flight'); its outcome is then written once. Attempts decided without Stripe (skipped,
-- invalid data) are written complete, with no key.
CREATE TABLE payment_attempt (
  id                        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  invoice_id                BIGINT UNSIGNED NOT NULL,
  attempt_number            INT UNSIGNED NOT NULL,
  idempotency_key           VARCHAR(255) NULL,
  stripe_customer_id        VARCHAR(255) NULL,
  stripe_payment_method_id  VARCHAR(255) NULL,
  stripe_payment_intent_id  VARCHAR(255) NULL,
  outcome                   VARCHAR(32) NOT NULL,
  failure_code              VARCHAR(64) NULL,
  decline_code              VARCHAR(64) NULL,
  failure_message           VARCHAR(1024) NULL,
  amount_cents              BIGINT NULL,
  currency                  VARCHAR(16) NULL,
  run_id                    VARCHAR(255) NOT NULL,
  started_at                DATETIME(3) NOT NULL,
  finished_at               DATETIME(3) NULL,
  -- Non-NULL only while the attempt's outcome is unknown; unique, so the database itself
  -- refuses a second attempt in flight for the same invoice.
  in_flight_invoice_id      BIGINT UNSIGNED AS (IF(outcome = 'in_flight', invoice_id, NULL)) STORED,
  -- One attempt number per invoice, one key per attempt.
  UNIQUE KEY uq_attempt_invoice_number (invoice_id, attempt_number),
  UNIQUE KEY uq_attempt_idempotency_key (idempotency_key),
  UNIQUE KEY uq_attempt_in_flight (in_flight_invoice_id),
  KEY idx_attempt_outcome (outcome),
  KEY idx_attempt_run (run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
