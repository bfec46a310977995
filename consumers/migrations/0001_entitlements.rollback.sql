DROP TABLE entitlement_revisions;
DROP TABLE entitlements;
