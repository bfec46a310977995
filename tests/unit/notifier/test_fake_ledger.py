"""The delivery ledger's contract (tests/ledger_contract.py) held against FakeLedger, the handler tests' stand-in."""

from __future__ import annotations

import pytest
from ledger_contract import LedgerContract
from notifier_fakes import FakeLedger


class TestFakeLedger(LedgerContract):
    @pytest.fixture
    def ledger(self) -> FakeLedger:
        """An empty FakeLedger."""
        return FakeLedger()
