CREATE INDEX entitlements_supported_by_version ON entitlements (family, version) WHERE version_supported;
DROP INDEX entitlements_supported_by_version_serial;
