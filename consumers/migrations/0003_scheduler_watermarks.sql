-- How far the scheduler has swept: ticks due up to swept_until were published.
-- depends: 0002_releases

CREATE TABLE scheduler_watermarks (
    name text PRIMARY KEY,
    swept_until timestamptz NOT NULL,
    rows_seen_at timestamptz NOT NULL,
    ticks bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
