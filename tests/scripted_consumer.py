"""A Kafka consumer for the poll-apply-commit loop's tests: scripted polls, pauses, commits and rebalances."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from kafka import TopicPartition


@dataclass
class ScriptedConsumer:
    """Hands out scripted poll results; records pauses, polls while paused and commits."""

    batches: list[list[Any]]  # records: anything with topic, partition and offset
    stop: threading.Event
    paused_set: set[TopicPartition] = field(default_factory=set)
    paused_polls: int = 0
    commits: list[dict[TopicPartition, int]] = field(default_factory=list)
    topics: set[str] = field(default_factory=set)  # subscribed to
    calls: list[str] = field(default_factory=list)  # metadata asked for, and polls, in order
    assigned: set[TopicPartition] = field(default_factory=set)  # empty: the partitions of every batch's records
    revoke_on_paused_poll: set[TopicPartition] = field(default_factory=set)  # a rebalance while paused takes these

    def __post_init__(self) -> None:
        if not self.assigned:
            self.assigned = {TopicPartition(r.topic, r.partition) for batch in self.batches for r in batch}

    def subscription(self) -> set[str]:
        return set(self.topics)

    def partitions_for_topic(self, topic: str) -> set[int]:
        self.calls.append(f"partitions {topic}")
        return {0, 1}

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused_set.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused_set.difference_update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_set)

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[Any]]:
        if self.paused_set:
            self.paused_polls += 1
            self.assigned -= self.revoke_on_paused_poll
            return {}
        if not self.batches:
            self.stop.set()
            return {}
        self.calls.append("poll")
        polled: dict[TopicPartition, list[Any]] = {}
        for record in self.batches.pop(0):
            polled.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return polled

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self.commits.append({tp: om.offset for tp, om in offsets.items()})
