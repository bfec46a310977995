-- A notice is claimed by the notifier delivering it: claimed_by names it (host:pid:random), claimed_until ends the
-- lease (longer than its longest send), so two notifiers (a rebalance while one is still sending) never both send
-- it. Recording an outcome releases the claim; one whose lease ran out (its notifier died) may be taken over.
-- Both NULL: no one holds the notice. Rows from before are unclaimed.
-- depends: 0012_delivery_ledger_recipient_cap

ALTER TABLE delivery_ledger ADD COLUMN claimed_by text, ADD COLUMN claimed_until timestamptz;
ALTER TABLE delivery_ledger ADD CONSTRAINT delivery_ledger_claim_check
    CHECK ((claimed_by IS NULL) = (claimed_until IS NULL));
