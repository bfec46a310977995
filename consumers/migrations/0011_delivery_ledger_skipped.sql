-- R17: a notice that is stale when it would be delivered is recorded as skipped, with why, and never sent.
-- skip_reason: expiry_passed (a reminder whose support has already ended) | too_old (past the max age).
-- depends: 0010_delivery_ledger

ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_status_check;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_status_check
    CHECK (status IN ('pending', 'retrying', 'sent', 'dead_lettered', 'skipped'));

ALTER TABLE delivery_ledger ADD COLUMN skip_reason text
    CONSTRAINT delivery_ledger_skip_reason_check CHECK (skip_reason IN ('expiry_passed', 'too_old'));
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_skipped_has_reason_check
    CHECK ((status = 'skipped') = (skip_reason IS NOT NULL));
