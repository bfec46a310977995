"""The delivery ledger's contract (tests/ledger_contract.py) held against PostgresLedger on a migrated PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ledger_contract import LedgerContract
from pg_admin import with_role

from consumers.db import migrate
from consumers.notifier.ledger import PostgresLedger
from lifecycle.settings import Settings


class TestPostgresLedger(LedgerContract):
    @pytest.fixture
    def ledger(self, settings: Settings) -> Iterator[PostgresLedger]:
        """A PostgresLedger as the notifier's role on this test's own database, migrated as `db migrate` does."""
        migrate(settings)
        ledger = PostgresLedger(with_role(settings.database_url.get_secret_value(), settings.db_notifier_role))
        ledger.check()
        yield ledger
        ledger.close()
