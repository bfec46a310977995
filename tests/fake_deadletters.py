"""The dead-letter publisher in memory, held to KafkaDeadLetters by tests/deadletters_contract.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeDeadLetters:
    """Dead letters kept in a list: (record, reason)."""

    records: list[tuple[Any, str]] = field(default_factory=list)

    def send(self, record: Any, reason: str) -> None:
        self.records.append((record, reason))

    def send_all(self, rejected: Sequence[tuple[Any, str]]) -> None:
        self.records.extend(rejected)
