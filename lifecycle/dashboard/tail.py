"""The newest records of one topic, read incrementally and kept summarized (dead letters, case decisions)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import TopicSpec

KEEP = 500  # newest records held in memory

log = logging.getLogger(__name__)

Summarize = Callable[[int, int, bytes | None], dict[str, Any]]  # (partition, offset, value) -> what is shown


class TopicTail:
    """Keeps the newest `keep` records of a topic, summarized, reading only what arrived since the last call."""

    def __init__(self, settings: Settings, spec: TopicSpec, summarize: Summarize, keep: int = KEEP) -> None:
        self.topic = spec.name(settings.topic_prefix)
        self.keep = keep
        self.summarize = summarize
        self.consumer = KafkaConsumer(enable_auto_commit=False, group_id=None, **kafka_python_config(settings))
        self.assigned: list[TopicPartition] = []
        self.records: deque[dict[str, Any]] = deque(maxlen=keep)

    def close(self) -> None:
        """Close the consumer."""
        self.consumer.close()

    def refresh(self) -> None:
        """Read every record that arrived since the last refresh (the newest KEEP on the first)."""
        if not self.assigned and not self._assign():
            return
        ends = self.consumer.end_offsets(self.assigned)
        while any(self.consumer.position(tp) < ends[tp] for tp in self.assigned):
            batches = self.consumer.poll(timeout_ms=500, max_records=1000)
            if not batches:
                break
            for tp, batch in batches.items():
                self.records.extend(self._summary(tp.partition, r.offset, r.value) for r in batch)

    def _summary(self, partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
        # One record at a time: the position is past the batch already, so a record that fails must not take the
        # others of its batch with it.
        try:
            return self.summarize(partition, offset, value)
        except Exception as exc:  # whatever the record holds, it is listed and the refresh goes on
            log.warning("%s[%d] offset %d cannot be shown: %s", self.topic, partition, offset, type(exc).__name__)
            return self.unreadable(partition, offset, exc)

    def unreadable(self, partition: int, offset: int, exc: Exception) -> dict[str, Any]:
        """The summary of a record that cannot be summarized: that of a record with no value."""
        return self.summarize(partition, offset, None)

    def _assign(self) -> bool:
        partitions = self.consumer.partitions_for_topic(self.topic)
        if not partitions:
            return False
        self.assigned = [TopicPartition(self.topic, partition) for partition in sorted(partitions)]
        self.consumer.assign(self.assigned)
        begins = self.consumer.beginning_offsets(self.assigned)
        ends = self.consumer.end_offsets(self.assigned)
        for tp in self.assigned:
            self.consumer.seek(tp, max(begins[tp], ends[tp] - self.keep))
        return True
