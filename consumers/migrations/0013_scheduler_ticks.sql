-- The scheduler's tick ledger: every tick id it published, and the UTC day of the sweep that last sent it, so a
-- sweep sends each due tick once (an overdue expiry or version check again at most once per sweep day).
-- Rows not sent for 400 days are removed by the sweep. Rights: `lifecycle db migrate` grants SELECT, INSERT,
-- UPDATE, DELETE on every table to the app role, SELECT to the read-only role.
-- depends: 0003_scheduler_watermarks

CREATE TABLE scheduler_ticks (
    tick_id text PRIMARY KEY,
    serial text NOT NULL,
    sent_on date NOT NULL
);

CREATE INDEX scheduler_ticks_sent_on ON scheduler_ticks (sent_on);
