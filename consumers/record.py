"""The parts of a consumed Kafka record that the consumers read (a kafka-python ConsumerRecord has them)."""

from __future__ import annotations

from typing import Protocol


class Record(Protocol):
    """A consumed record: where it came from, its key and its value."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def key(self) -> bytes | None: ...

    @property
    def value(self) -> bytes | None: ...
