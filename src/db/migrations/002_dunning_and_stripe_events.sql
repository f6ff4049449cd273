-- Dunning: when a failed invoice is charged again, and on which card it last failed (a different
-- card on file makes it eligible at once). 3-D Secure: when an unfinished authentication expires.
ALTER TABLE invoice
  ADD COLUMN next_attempt_at          DATETIME(3) NULL AFTER lease_expires_at,
  ADD COLUMN first_failed_at          DATETIME(3) NULL AFTER next_attempt_at,
  ADD COLUMN failed_payment_method_id VARCHAR(255) NULL AFTER first_failed_at,
  -- Why retries stopped: hard_decline, attempts_exhausted (NULL while retries are scheduled).
  ADD COLUMN dunning_stopped_reason   VARCHAR(64) NULL AFTER failed_payment_method_id,
  ADD COLUMN auth_expires_at          DATETIME(3) NULL AFTER dunning_stopped_reason,
  ADD KEY idx_invoice_status_next_attempt (status, next_attempt_at, id),
  ADD KEY idx_invoice_payment_intent (stripe_payment_intent_id);

-- Per-card retry limits count attempts by payment method over 30 days.
ALTER TABLE payment_attempt
  ADD COLUMN is_retry TINYINT(1) NOT NULL DEFAULT 0 AFTER attempt_number,
  ADD KEY idx_attempt_payment_method_started (stripe_payment_method_id, started_at),
  ADD KEY idx_attempt_payment_intent (stripe_payment_intent_id);

-- Stripe webhook events, stored once by id before anything acts on them.
CREATE TABLE stripe_event (
  id                 VARCHAR(255) NOT NULL PRIMARY KEY,
  type               VARCHAR(128) NOT NULL,
  payment_intent_id  VARCHAR(255) NULL,
  payload            MEDIUMTEXT NOT NULL,
  received_at        DATETIME(3) NOT NULL,
  processed_at       DATETIME(3) NULL,
  result             VARCHAR(255) NULL,
  KEY idx_stripe_event_payment_intent (payment_intent_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
