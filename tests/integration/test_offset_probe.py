"""BrokerProbe against the real broker: offsets below the log start are absent, records that exist are found."""

from __future__ import annotations

import asyncio

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from lifecycle.kafka_config import kafka_python_config
from lifecycle.settings import Settings
from lifecycle.topics import PARTITIONS
from streams.gaps import BrokerProbe
from streams.harness import produce

pytestmark = pytest.mark.integration


def _filled_partition(settings: Settings, name: str) -> TopicPartition:
    consumer = KafkaConsumer(**kafka_python_config(settings))
    try:
        ends = consumer.end_offsets([TopicPartition(name, p) for p in range(PARTITIONS)])
    finally:
        consumer.close()
    [tp] = [tp for tp, end in ends.items() if end > 0]
    return tp


def test_the_probe_finds_the_first_record_and_passes_only_what_retention_removed(topics: Settings) -> None:
    produce(topics, [("purchases", b"SF-PROBE", f"{n}".encode()) for n in range(6)])
    tp = _filled_partition(topics, topics.topic("purchases"))
    admin = KafkaAdminClient(**kafka_python_config(topics))
    try:
        admin.delete_records({tp: 3})  # the log start moves to 3, as retention would move it
    finally:
        admin.close()

    async def ask() -> list[int | None]:
        probe = BrokerProbe(topics, "probe-test")
        try:
            return [await probe.first_present(tp, offset) for offset in (0, 2, 3, 5)]
        finally:
            await probe.close()

    assert asyncio.run(ask()) == [3, 3, 3, 5]
