DROP TABLE delivery_ledger;
