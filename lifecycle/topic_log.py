"""Read a whole topic, from its start to the end it has when reading begins."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from lifecycle.errors import UserError
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def records_to_end(settings: Settings, topic: str, stall_seconds: float = 60.0) -> Iterator[Any]:
    """Every record of `topic` (kafka-python ConsumerRecords) as it is read, each partition in offset order, so a
    caller keeps only what it needs; UserError when reading moves no further for `stall_seconds`."""
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))
    try:
        known = consumer.partitions_for_topic(topic)
        if not known:
            raise UserError(f"topic {topic} does not exist (run `lifecycle topics`)")
        partitions = [TopicPartition(topic, p) for p in sorted(known)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        start = {tp: consumer.position(tp) for tp in partitions}
        # A deadline per step, not for the whole topic: a large topic takes as long as it takes while it moves.
        last: dict[TopicPartition, int] = {}
        moved_at = time.monotonic()
        while True:
            positions = {tp: consumer.position(tp) for tp in partitions}
            if all(positions[tp] >= end[tp] for tp in partitions):
                return
            if positions != last:
                last, moved_at = positions, time.monotonic()
            elif time.monotonic() - moved_at > stall_seconds:
                done, total = (sum(offsets[tp] - start[tp] for tp in partitions) for offsets in (positions, end))
                raise UserError(
                    f"{topic} stopped being read after {done:,} of {total:,} records (no progress for "
                    f"{stall_seconds:g}s): check that Kafka at LIFECYCLE_KAFKA_BOOTSTRAP answers, then run again"
                )
            for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
                yield from (record for record in batch if record.offset < end[TopicPartition(topic, record.partition)])
    finally:
        consumer.close()


def read_to_end(settings: Settings, topic: str, timeout: float = 60.0) -> list[Any]:
    """Every record of `topic`, partition by partition in offset order (`timeout`: seconds without progress)."""
    records = list(records_to_end(settings, topic, timeout))
    return sorted(records, key=lambda record: (record.partition, record.offset))
