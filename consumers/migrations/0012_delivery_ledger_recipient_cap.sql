-- A daily cap on notices to one address: the excess is skipped with skip_reason 'recipient_cap', never sent.
-- counted_on: the UTC day a notice counts against its recipient's cap (claimed before sending, or sent on);
-- rows sent before this migration count on the day they were sent.
-- depends: 0011_delivery_ledger_skipped

ALTER TABLE delivery_ledger DROP CONSTRAINT delivery_ledger_skip_reason_check;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_skip_reason_check
    CHECK (skip_reason IN ('expiry_passed', 'too_old', 'recipient_cap'));

ALTER TABLE delivery_ledger ADD COLUMN counted_on date;
UPDATE delivery_ledger SET counted_on = (sent_at AT TIME ZONE 'UTC')::date WHERE status = 'sent' AND sent_at IS NOT NULL;
CREATE INDEX delivery_ledger_recipient_day_idx ON delivery_ledger (lower(recipient), counted_on);
