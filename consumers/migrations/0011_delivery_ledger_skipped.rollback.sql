-- The old statuses have no 'skipped': such rows become dead-lettered, keeping their reason in last_error.
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_skipped_has_reason_check;
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_status_check;
UPDATE delivery_ledger
SET status = 'dead_lettered', last_error = 'skipped (' || skip_reason || '): ' || coalesce(last_error, ''), updated_at = now()
WHERE status = 'skipped';
ALTER TABLE delivery_ledger DROP COLUMN skip_reason;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_status_check
    CHECK (status IN ('pending', 'retrying', 'sent', 'dead_lettered'));
