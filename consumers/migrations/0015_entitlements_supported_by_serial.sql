-- Scheduler: entitlements still marked supported, by product version and then serial, so a sweep's page of one
-- version's rows is read in serial order from the index (keyset paging), never by reading every supported row.
-- It serves every query the index on (family, version) served, which it replaces.
-- depends: 0014_entitlements_by_email

CREATE INDEX entitlements_supported_by_version_serial ON entitlements (family, version, serial) WHERE version_supported;
DROP INDEX entitlements_supported_by_version;
