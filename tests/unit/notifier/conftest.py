"""The notifier's in-memory ports, one fresh set per test."""

from __future__ import annotations

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import FakeClock, FakeLedger, FakeTransport


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def dead_letters() -> FakeDeadLetters:
    return FakeDeadLetters()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
