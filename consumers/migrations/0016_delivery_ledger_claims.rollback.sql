-- The claims go (the constraint with them): notifiers of before claim nothing.
ALTER TABLE delivery_ledger DROP COLUMN claimed_until, DROP COLUMN claimed_by;
