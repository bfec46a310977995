"""In-process stand-ins for the broker as `lifecycle redrive` meets it: a topic to read and a producer that acks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest
from kafka import TopicPartition
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata, RecordMetadata


@dataclass(frozen=True)
class Record:
    """One record of the topic read (the fields kafka-python's ConsumerRecord has that redrive reads)."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class TopicConsumer:
    """KafkaConsumer over `records` (one topic), at most `per_poll` a poll; `stuck` stops every partition."""

    records: ClassVar[list[Record]] = []
    per_poll: ClassVar[int] = 5000
    stuck: ClassVar[bool] = False
    polls: ClassVar[int] = 0

    def __init__(self, **_config: Any) -> None:
        self.assigned: list[TopicPartition] = []
        self.positions: dict[TopicPartition, int] = {}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {record.partition for record in self.records} or {0}

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions

    def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self.positions = dict.fromkeys(partitions, 0)

    def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: sum(1 for r in self.records if r.partition == tp.partition) for tp in partitions}

    def position(self, tp: TopicPartition) -> int:
        return self.positions[tp]

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        TopicConsumer.polls += 1
        if self.stuck:
            return {}
        batches = {}
        for tp in self.assigned:
            mine = [r for r in self.records if r.partition == tp.partition]
            batch = mine[self.positions[tp] : self.positions[tp] + min(max_records, self.per_poll)]
            if batch:
                batches[tp] = batch
                self.positions[tp] = batch[-1].offset + 1
        return batches

    def close(self) -> None: ...


class AckingProducer:
    """KafkaProducer that acknowledges every send at once; `sent` keeps (topic, key, value) of each."""

    sent: ClassVar[list[tuple[str, bytes | None, bytes | None]]] = []

    def __init__(self, **_config: Any) -> None: ...

    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None, **_: Any) -> FutureRecordMetadata:
        self.sent.append((topic, key, value))
        future = FutureRecordMetadata(FutureProduceResult(None), 0, -1, None, None, None, -1)
        return future.success(RecordMetadata(topic, 0, None, len(self.sent), -1, None, 0, 0, 0))

    def flush(self, timeout: float) -> None: ...

    def close(self) -> None: ...


def redrive_on_fakes(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`lifecycle redrive` with `home` as LIFECYCLE_HOME, reading TopicConsumer and sending to AckingProducer."""
    from lifecycle import redrive, topic_log

    monkeypatch.setenv("LIFECYCLE_HOME", str(home))
    monkeypatch.setattr(redrive, "require_topics", lambda *_args: None)
    monkeypatch.setattr(redrive, "absent_topics", lambda *_args: set())
    monkeypatch.setattr(redrive, "KafkaProducer", AckingProducer)
    monkeypatch.setattr(AckingProducer, "sent", [])
    monkeypatch.setattr(topic_log, "KafkaConsumer", TopicConsumer)
    return home
