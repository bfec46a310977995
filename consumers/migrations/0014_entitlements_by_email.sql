-- The console finds serials by the contact's e-mail address, case-insensitively, without reading every entitlement.
-- depends: 0013_scheduler_ticks

CREATE INDEX entitlements_by_email ON entitlements (lower(document->'contact'->>'email'));
