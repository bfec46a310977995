-- The old statuses have no 'deferred', and nothing of before tries a parked notice again (its offset is committed,
-- and its record is only here): a rollback while any notice is parked would lose it, so it is refused then. Let the
-- notifier send or dead-letter them first (or note each row's parked_topic, parked_partition and parked_offset, reset
-- the notifier's group there and set the rows aside by hand).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM delivery_ledger WHERE status = 'deferred') THEN
        RAISE EXCEPTION 'delivery_ledger holds parked notices (status deferred): their Kafka records are kept only '
            'here; let the notifier send or dead-letter them before rolling back 0017_delivery_ledger_parked';
    END IF;
END
$$;
DROP INDEX delivery_ledger_due_idx;
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_parked_check;
ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_status_check;
ALTER TABLE delivery_ledger
    DROP COLUMN parked_timestamp, DROP COLUMN parked_headers, DROP COLUMN parked_value, DROP COLUMN parked_key,
    DROP COLUMN parked_offset, DROP COLUMN parked_partition, DROP COLUMN parked_topic,
    DROP COLUMN first_deferred_at, DROP COLUMN deferrals, DROP COLUMN retry_at;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_status_check
    CHECK (status IN ('pending', 'retrying', 'sent', 'dead_lettered', 'skipped'));
