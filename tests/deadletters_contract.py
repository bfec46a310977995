"""What every dead-letter publisher (consumers/deadletters.py `DeadLetters`) does: one suite for the fake and the real.

A subclass named `Test...` provides the `port` fixture: a publisher of its kind with nothing published yet, and
a function that reads back what it published. tests/unit/notifier/test_fake_deadletters.py runs the suite against
FakeDeadLetters (tests/fake_deadletters.py), tests/integration/test_kafka_deadletters.py against KafkaDeadLetters
on a real topic.
Import it as `from deadletters_contract import DeadLettersContract` (tests/ is on sys.path through tests/conftest.py).
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from consumers.deadletters import DeadLetters


@dataclass(frozen=True, order=True)
class Letter:
    """What a published dead letter says: the input's origin, key and value, and the reason."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    reason: str


@dataclass(frozen=True)
class Input:
    """A consumed record, as the consumers hand it to the publisher."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def letter_from_record(key: bytes | None, value: bytes) -> Letter:
    """The Letter a record of the dead-letter topic stands for."""
    document: dict[str, Any] = orjson.loads(value)
    origin, encoded = document["origin"], document["payload_base64"]
    payload = None if encoded is None else base64.b64decode(encoded)
    return Letter(origin["topic"], origin["partition"], origin["offset"], key, payload, document["reason"])


Port = tuple[DeadLetters, Callable[[], list[Letter]]]

NOTICE = Input("t.notices", 2, 41, b"SN-1", b'{"notice_id": "n1"}')
ROW = Input("t.entitlements", 0, 7, b"SN-2", b"not json")
TOMBSTONE = Input("t.holds", 1, 3, b"SN-3", None)


class DeadLettersContract(ABC):
    """A rejected input is published with its reason, origin, key and value; nothing else is published."""

    @pytest.fixture
    @abstractmethod
    def port(self) -> Port:
        """A publisher of the kind under test, and a reader of what it published."""

    def test_one_letter_says_where_the_input_came_from_and_why(self, port: Port) -> None:
        dead_letters, published = port
        dead_letters.send(NOTICE, "invalid notice: notice_id: must be longer")

        assert published() == [
            Letter("t.notices", 2, 41, b"SN-1", NOTICE.value, "invalid notice: notice_id: must be longer")
        ]

    def test_a_batch_publishes_every_letter(self, port: Port) -> None:
        dead_letters, published = port
        dead_letters.send_all([(NOTICE, "first"), (ROW, "not JSON: unexpected character"), (TOMBSTONE, "empty")])

        assert sorted(published()) == sorted(
            [
                Letter(NOTICE.topic, NOTICE.partition, NOTICE.offset, NOTICE.key, NOTICE.value, "first"),
                Letter(ROW.topic, ROW.partition, ROW.offset, ROW.key, ROW.value, "not JSON: unexpected character"),
                Letter(TOMBSTONE.topic, TOMBSTONE.partition, TOMBSTONE.offset, TOMBSTONE.key, None, "empty"),
            ]
        )

    def test_an_empty_batch_publishes_nothing(self, port: Port) -> None:
        dead_letters, published = port
        dead_letters.send_all([])

        assert published() == []

    def test_an_input_without_a_key_is_published_without_one(self, port: Port) -> None:
        dead_letters, published = port
        dead_letters.send(Input("t.purchases", 0, 0, None, b"\xff\xfe binary"), "not JSON: not UTF-8")

        assert published() == [Letter("t.purchases", 0, 0, None, b"\xff\xfe binary", "not JSON: not UTF-8")]
