-- The notifier's delivery ledger: one row per notice_id, so a notice redelivered by Kafka is sent once.
-- Rights: `lifecycle db migrate` grants SELECT, INSERT, UPDATE, DELETE on every table to the app role.
-- depends:

CREATE TABLE delivery_ledger (
    notice_id     text PRIMARY KEY,
    kind          text NOT NULL,
    serial        text NOT NULL,
    account_id    text NOT NULL,
    due_on        date NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'retrying', 'sent', 'dead_lettered')),
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    transport     text CHECK (transport IN ('smtp', 'outbox')),
    message_id    text,
    recipient     text,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);

CREATE INDEX delivery_ledger_status_idx ON delivery_ledger (status, updated_at);
CREATE INDEX delivery_ledger_serial_idx ON delivery_ledger (serial);
