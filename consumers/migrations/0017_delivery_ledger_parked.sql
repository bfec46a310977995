-- A notice the SMTP server defers (a 4xx about it alone) is parked: status 'deferred', tried again by the notifier's
-- parked rounds from retry_at on, while the notices behind it on its partition go on (its offset is committed).
-- deferrals counts the server's deferrals of it since it was last sent or dead-lettered, the first at
-- first_deferred_at: across notifiers and restarts. parked_* keep its Kafka record, to handle it again and to
-- dead-letter it: topic, partition, offset, key, value, headers (JSON [[key, base64 value or null], …]) and
-- timestamp (ms since the epoch, or NULL). A notice that leaves the park (sent, skipped, dead-lettered) drops them.
-- depends: 0016_delivery_ledger_claims

ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_status_check;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_status_check
    CHECK (status IN ('pending', 'retrying', 'deferred', 'sent', 'dead_lettered', 'skipped'));

ALTER TABLE delivery_ledger
    ADD COLUMN retry_at          timestamptz,
    ADD COLUMN deferrals         integer NOT NULL DEFAULT 0 CONSTRAINT delivery_ledger_deferrals_check CHECK (deferrals >= 0),
    ADD COLUMN first_deferred_at timestamptz,
    ADD COLUMN parked_topic      text,
    ADD COLUMN parked_partition  integer,
    ADD COLUMN parked_offset     bigint,
    ADD COLUMN parked_key        bytea,
    ADD COLUMN parked_value      bytea,
    ADD COLUMN parked_headers    jsonb,
    ADD COLUMN parked_timestamp  bigint;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_parked_check
    CHECK (status <> 'deferred' OR (retry_at IS NOT NULL AND parked_topic IS NOT NULL
                                    AND parked_partition IS NOT NULL AND parked_offset IS NOT NULL
                                    AND parked_headers IS NOT NULL));

-- The parked rounds take the due ones, earliest first.
CREATE INDEX delivery_ledger_due_idx ON delivery_ledger (retry_at) WHERE status = 'deferred';
