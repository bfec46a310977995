"""The delivery ledger's contract (tests/ledger_contract.py) held against PostgresLedger on a migrated PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ledger_contract import LedgerContract

from consumers.database import app_dsn
from consumers.db import migrate
from consumers.notifier.ledger import PostgresLedger
from lifecycle.settings import Settings


class TestPostgresLedger(LedgerContract):
    @pytest.fixture
    def ledger(self, settings: Settings) -> Iterator[PostgresLedger]:
        """A PostgresLedger on this test's own database, migrated as `lifecycle db migrate` does."""
        migrate(settings)
        ledger = PostgresLedger(app_dsn(settings))
        ledger.check()
        yield ledger
        ledger.close()
