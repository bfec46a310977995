-- Every released version of every product family, from the releases topic: the scheduler's catalog.
-- depends: 0001_entitlements

CREATE TABLE releases (
    family text NOT NULL,
    version text NOT NULL,
    line text NOT NULL,
    released_on date NOT NULL,
    event_id text NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (family, version)
);
