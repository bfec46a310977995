-- The old reasons have no 'recipient_cap': such rows become dead-lettered, keeping their reason in last_error.
DROP INDEX delivery_ledger_recipient_day_idx;
ALTER TABLE delivery_ledger DROP COLUMN counted_on;
UPDATE delivery_ledger
SET status = 'dead_lettered', skip_reason = NULL,
    last_error = 'skipped (recipient_cap): ' || coalesce(last_error, ''), updated_at = now()
WHERE skip_reason = 'recipient_cap';
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_skip_reason_check;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_skip_reason_check
    CHECK (skip_reason IN ('expiry_passed', 'too_old'));
