"""Poll, handle each record, commit only what was handled; back off and re-read after a temporary failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from consumers.notifier.handler import RetryLaterError

log = logging.getLogger(__name__)


@dataclass
class Backoff:
    """Exponential delays between retries of a temporary failure, reset by a success."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    _next: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._next = self.initial

    def failed(self) -> float:
        """The delay before the next attempt (and double the one after, up to the maximum)."""
        delay, self._next = self._next, min(self._next * self.factor, self.maximum)
        return delay

    def succeeded(self) -> None:
        self._next = self.initial


def run_consumer(
    consumer: KafkaConsumer,
    handle: Callable[[Any], object],
    stop: threading.Event,
    backoff: Backoff,
    on_poll: Callable[[], None] = lambda: None,
) -> None:
    """Until `stop` is set: poll, `handle` each record in order, commit the offsets after the last handled one.

    When `handle` raises RetryLaterError, every partition of the batch is rewound to its first unhandled
    record, the handled ones are committed, and the loop waits `backoff` before polling again.
    """
    while not stop.is_set():
        on_poll()
        batches = consumer.poll(timeout_ms=500)
        handled: dict[TopicPartition, int] = {}
        retry_reason: str | None = None
        for partition, records in batches.items():
            for record in records:
                if retry_reason is None and not stop.is_set():
                    try:
                        handle(record)
                    except RetryLaterError as exc:
                        retry_reason = str(exc)
                    else:
                        handled[partition] = record.offset + 1
                        backoff.succeeded()
                        continue
                consumer.seek(partition, record.offset)
                break
        commit(consumer, handled)
        if retry_reason is not None:
            delay = backoff.failed()
            log.warning("temporary failure, retrying in %.1fs: %s", delay, retry_reason)
            stop.wait(delay)


def commit(consumer: KafkaConsumer, handled: dict[TopicPartition, int]) -> None:
    """Commit the next offset to read for each partition; a failed commit only means a harmless redelivery."""
    if not handled:
        return
    try:
        consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in handled.items()})
    except KafkaError as exc:
        log.warning("offset commit failed (the records will be redelivered and found in the ledger): %s", exc)
