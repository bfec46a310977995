DROP INDEX entitlements_by_email;
