"""Read a whole topic, from its start to the end it has when reading begins."""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from lifecycle.errors import UserError
from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def read_to_end(settings: Settings, topic: str, timeout: float = 60.0) -> list[Any]:
    """Every record of `topic` (kafka-python ConsumerRecords), partition by partition in offset order."""
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))
    try:
        known = consumer.partitions_for_topic(topic)
        if not known:
            raise UserError(f"topic {topic} does not exist (run `lifecycle topics`)")
        partitions = [TopicPartition(topic, p) for p in sorted(known)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end within {timeout}s")
            for batch in consumer.poll(timeout_ms=200, max_records=5000).values():
                records.extend(
                    record for record in batch if record.offset < end[TopicPartition(topic, record.partition)]
                )
        return sorted(records, key=lambda record: (record.partition, record.offset))
    finally:
        consumer.close()
