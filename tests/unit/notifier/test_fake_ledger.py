"""The delivery ledger's contract (tests/ledger_contract.py) held against FakeLedger, the handler tests' stand-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from ledger_contract import LedgerContract, OpenLedger
from notifier_fakes import FakeLedger


class TestFakeLedger(LedgerContract):
    @pytest.fixture
    def open_ledger(self) -> OpenLedger:
        """FakeLedgers sharing one empty dict of rows."""
        rows: dict[str, dict[str, Any]] = {}

        def open_one(owner: str, lease: timedelta | None = None) -> FakeLedger:
            ledger = FakeLedger(rows=rows, owner=owner)
            if lease is not None:
                ledger.lease = lease
            return ledger

        return open_one
