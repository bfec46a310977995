-- The current entitlement of every serial, and every revision of it, from the entitlements topic.
-- depends:

CREATE TABLE entitlements (
    serial text PRIMARY KEY,
    account_id text NOT NULL,
    status text NOT NULL,
    program text NOT NULL,
    line text NOT NULL,
    family text NOT NULL,
    version text NOT NULL,
    channel text NOT NULL,
    starts_on date,
    expires_on date,
    version_supported boolean NOT NULL,
    revision bigint NOT NULL CHECK (revision >= 1),
    updated_at timestamptz NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    document jsonb NOT NULL
);

-- Scheduler: active entitlements by expiry (reminders, expiries).
CREATE INDEX entitlements_active_by_expiry ON entitlements (expires_on) WHERE status = 'active';
-- Scheduler: entitlements still marked supported, by product version (version checks).
CREATE INDEX entitlements_supported_by_version ON entitlements (family, version) WHERE version_supported;
-- Scheduler: rows written since its last sweep.
CREATE INDEX entitlements_by_stored_at ON entitlements (stored_at);
-- Dashboard: counts and lists by status, program and line, ordered by expiry.
CREATE INDEX entitlements_by_status_program_line ON entitlements (status, program, line, expires_on);
CREATE INDEX entitlements_by_account ON entitlements (account_id);

CREATE TABLE entitlement_revisions (
    serial text NOT NULL,
    revision bigint NOT NULL CHECK (revision >= 1),
    account_id text NOT NULL,
    status text NOT NULL,
    updated_at timestamptz NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    document jsonb NOT NULL,
    PRIMARY KEY (serial, revision)
);
