"""Read a topic from its start to its current end with kafka-python, independently of the code under test.

Import it as `from topic_reading import read_topic` (tests/ is on sys.path through tests/conftest.py);
`from conftest import ...` is unreliable because several folders have a conftest.py.
"""

from __future__ import annotations

import time

from kafka import KafkaConsumer, TopicPartition

from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings


def read_topic(settings: Settings, suffix: str, timeout: float = 10.0) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) of a topic under the settings' prefix, read from the start to its current end."""
    consumer = KafkaConsumer(enable_auto_commit=False, **kafka_python_config(settings))
    try:
        name = settings.topic(suffix)
        deadline = time.monotonic() + timeout
        partitions = consumer.partitions_for_topic(name)
        while not partitions and time.monotonic() < deadline:
            time.sleep(0.1)
            partitions = consumer.partitions_for_topic(name)
        assert partitions, f"topic {name} does not exist"
        assigned = [TopicPartition(name, partition) for partition in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        end = consumer.end_offsets(assigned)
        records: list[tuple[bytes | None, bytes | None]] = []
        while any(consumer.position(tp) < end[tp] for tp in assigned):
            assert time.monotonic() < deadline, f"topic {name} not read to its end within {timeout}s"
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((record.key, record.value) for record in batch)
        return records
    finally:
        consumer.close()
