"""KafkaDeadLetters waits for the broker: a letter the broker refused raises, and nothing counts as dead-lettered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pytest
from deadletters_contract import NOTICE, ROW
from kafka.errors import KafkaTimeoutError
from prometheus_client import REGISTRY

from consumers.deadletters import KafkaDeadLetters

FAILED_AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class Future:
    error: Exception | None = None

    def get(self, timeout: float) -> None:
        if self.error is not None:
            raise self.error


@dataclass
class StubProducer:
    """Records what is sent; the sends listed in `refused` (by position) fail when their result is asked for."""

    refused: set[int] = field(default_factory=set)
    sent: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)
    flushed: int = 0

    def send(self, topic: str, key: bytes | None, value: bytes) -> Future:
        self.sent.append((topic, key, value))
        return Future(KafkaTimeoutError("no ack") if len(self.sent) - 1 in self.refused else None)

    def flush(self, timeout: float) -> None:
        self.flushed += 1


def counted(component: str) -> float:
    value = REGISTRY.get_sample_value("lifecycle_deadletters_total", {"component": component})
    return value or 0.0


def test_every_letter_is_sent_before_waiting_and_counted_once_acknowledged() -> None:
    producer = StubProducer()
    before = counted("acks-test")
    KafkaDeadLetters(producer, "t.deadletter", "acks-test", now=lambda: FAILED_AT).send_all([(NOTICE, "a"), (ROW, "b")])

    assert [(topic, key) for topic, key, _ in producer.sent] == [("t.deadletter", b"SN-1"), ("t.deadletter", b"SN-2")]
    assert producer.flushed == 1
    assert orjson.loads(producer.sent[0][2])["failed_at"] == "2026-03-01T12:00:00Z"
    assert orjson.loads(producer.sent[1][2])["component"] == "acks-test"
    assert counted("acks-test") == before + 2


def test_a_letter_the_broker_refused_raises_and_is_not_counted() -> None:
    producer = StubProducer(refused={1})
    before = counted("acks-refused")
    with pytest.raises(KafkaTimeoutError):
        KafkaDeadLetters(producer, "t.deadletter", "acks-refused").send_all([(NOTICE, "a"), (ROW, "b")])
    assert counted("acks-refused") == before
