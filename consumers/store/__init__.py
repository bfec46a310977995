"""The entitlement store: the entitlements and releases topics, kept as PostgreSQL tables."""
