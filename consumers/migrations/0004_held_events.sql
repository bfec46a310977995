-- The events that wait for their serial's purchase, from the compacted holds topic: the newest record per serial.
-- Rights: `lifecycle db migrate` grants SELECT, INSERT, UPDATE, DELETE on every table to the app role, SELECT to
-- the read-only role.
-- depends: 0003_scheduler_watermarks

CREATE TABLE held_events (
    serial text NOT NULL,
    event_id text NOT NULL,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    held_since timestamptz NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (serial, event_id)
);

-- Scheduler: events held since before the hold period began (hold_expiry ticks).
CREATE INDEX held_events_by_since ON held_events (held_since);
