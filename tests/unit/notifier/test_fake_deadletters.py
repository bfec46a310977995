"""The dead-letter publisher's contract (tests/deadletters_contract.py) held against FakeDeadLetters."""

from __future__ import annotations

import pytest
from deadletters_contract import DeadLettersContract, Letter, Port
from fake_deadletters import FakeDeadLetters


class TestFakeDeadLetters(DeadLettersContract):
    @pytest.fixture
    def port(self) -> Port:
        """An empty FakeDeadLetters, read back from what it recorded."""
        fake = FakeDeadLetters()

        def published() -> list[Letter]:
            return [Letter(r.topic, r.partition, r.offset, r.key, r.value, reason) for r, reason in fake.records]

        return fake, published
