-- Issue 11: advice codes first, per-card network budgets, explainable dunning decisions.
-- Written for fresh and adopted databases alike: it touches only the service's own tables
-- (payment_attempt, and two new side tables), never the business's invoice table. Columns are
-- appended (no AFTER), so both servers add them as a metadata change.

-- The decline signals of each attempt as Stripe sent them, and the card it went to (its
-- fingerprint: the same card saved twice is one card), so budgets count per card.
ALTER TABLE payment_attempt
  ADD COLUMN advice_code          VARCHAR(64) NULL,
  ADD COLUMN network_advice_code  VARCHAR(16) NULL,
  ADD COLUMN network_decline_code VARCHAR(16) NULL,
  ADD COLUMN card_fingerprint     VARCHAR(255) NULL,
  ADD COLUMN card_network         VARCHAR(32) NULL,
  ALGORITHM=INSTANT;

-- Budget counts: attempts on one card over the last 30 days.
ALTER TABLE payment_attempt
  ADD KEY idx_attempt_card_started (card_fingerprint, started_at),
  ALGORITHM=INPLACE, LOCK=NONE;

-- Every dunning decision (after a failure, or a retry postponed by a card budget): the rule that
-- fired and its inputs (codes, budget counts, windows) as JSON text, never updated. invoice_id is a
-- signed BIGINT, which holds every id of an INT or BIGINT invoice.id (no foreign key, like
-- payment_attempt).
CREATE TABLE IF NOT EXISTS dunning_decision (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  invoice_id       BIGINT NOT NULL,
  attempt_number   INT UNSIGNED NOT NULL,
  decided_at       DATETIME(3) NOT NULL,
  action           VARCHAR(32) NOT NULL,
  rule             VARCHAR(128) NOT NULL,
  reason           VARCHAR(1024) NOT NULL,
  next_attempt_at  DATETIME(3) NULL,
  inputs           TEXT NOT NULL,
  KEY idx_dunning_decision_invoice (invoice_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per card, locked while a retry's budget is checked and its attempt written, so two
-- concurrent retries on the same card cannot both take the last slot of a window.
CREATE TABLE IF NOT EXISTS card_budget_lock (
  card_fingerprint VARCHAR(255) NOT NULL PRIMARY KEY,
  locked_at        DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
