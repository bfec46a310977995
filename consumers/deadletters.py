"""Publish rejected inputs to the dead-letter topic, acked by the broker before returning: one publisher for all."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from consumers.record import Record
from lifecycle import metrics
from lifecycle.deadletter import DEFAULT_PREVIEW_BYTES, deadletter_key, deadletter_record

log = logging.getLogger(__name__)

Rejected = tuple[Record, str]  # an input and why it was rejected


class DeadLetters(Protocol):
    """Publishes rejected inputs with their reasons, durably, before returning; raises when the broker does not ack."""

    def send(self, record: Record, reason: str) -> None: ...

    def send_all(self, rejected: Sequence[Rejected]) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KafkaDeadLetters:
    """The dead-letter topic through a kafka-python producer: each letter keyed by its input's key."""

    def __init__(
        self,
        producer: Any,  # a kafka.KafkaProducer with acks="all"
        topic: str,
        component: str,
        preview_bytes: int = DEFAULT_PREVIEW_BYTES,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._producer = producer
        self._topic = topic
        self._component = component
        self._preview_bytes = preview_bytes
        self._now = now

    def send(self, record: Record, reason: str) -> None:
        """Publish one letter and wait for its acknowledgement."""
        self.send_all([(record, reason)])

    def send_all(self, rejected: Sequence[Rejected]) -> None:
        """Publish every letter, then wait for all of them; the KafkaError of the first send the broker refused."""
        if not rejected:
            return
        failed_at = self._now()
        futures = []
        for record, reason in rejected:
            log.warning("dead letter %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
            value = deadletter_record(
                reason,
                record.topic,
                record.partition,
                record.offset,
                record.key,
                record.value,
                self._component,
                failed_at,
                self._preview_bytes,
            )
            key = deadletter_key(record.key, record.value, self._preview_bytes)
            futures.append(self._producer.send(self._topic, key=key, value=value))
        self._producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=0)  # raises the KafkaError of a send that failed
        metrics.DEAD_LETTERS.labels(self._component).inc(len(rejected))
