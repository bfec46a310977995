"""The entitlement repository's contract (tests/entitlements_contract.py) held against FakeEntitlements."""

from __future__ import annotations

import pytest
from entitlements_contract import EntitlementsContract
from store_fakes import FakeEntitlements


class TestFakeEntitlements(EntitlementsContract):
    @pytest.fixture
    def repository(self) -> FakeEntitlements:
        """An empty FakeEntitlements."""
        return FakeEntitlements()
