-- The old statuses have no 'deferred', and nothing of before tries a parked notice again (its offset is committed):
-- such rows become dead-lettered, their reason in last_error after 'parked (deferred): ' (no letter was published).
DROP INDEX delivery_ledger_due_idx;
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_parked_check;
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_status_check;
UPDATE delivery_ledger
SET status = 'dead_lettered', last_error = 'parked (deferred): ' || coalesce(last_error, ''), updated_at = now()
WHERE status = 'deferred';
ALTER TABLE delivery_ledger
    DROP COLUMN parked_timestamp, DROP COLUMN parked_headers, DROP COLUMN parked_value, DROP COLUMN parked_key,
    DROP COLUMN parked_offset, DROP COLUMN parked_partition, DROP COLUMN parked_topic,
    DROP COLUMN first_deferred_at, DROP COLUMN deferrals, DROP COLUMN retry_at;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_status_check
    CHECK (status IN ('pending', 'retrying', 'sent', 'dead_lettered', 'skipped'));
