"""Publish ticks to the ticks topic, keyed by serial, and return only once the broker acknowledged all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kafka import KafkaProducer

from lifecycle import metrics
from schemas import encode, validate


class TickPublisher:
    """An idempotent producer (acks=all) for tick events."""

    def __init__(self, producer: KafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    def __call__(self, ticks: Sequence[dict[str, Any]]) -> None:
        futures = []
        for tick in ticks:
            validate("tick", tick)
            futures.append(self._producer.send(self._topic, key=tick["serial"].encode(), value=encode(tick)))
        self._producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=0)  # raises the KafkaError of a send that failed
        for tick in ticks:
            metrics.TICKS_EMITTED.labels(tick["kind"]).inc()
