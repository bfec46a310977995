"""The bare aiokafka passthrough the processor benchmark is measured against, and the rate both are measured by."""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from lifecycle.coordinator import until_coordinator_ready_async
from lifecycle.groups import kafka_name
from lifecycle.settings import Settings
from streams.app import INPUTS
from streams.harness import read_all
from streams.kafka_clients import aiokafka_config

PASSTHROUGH = "bench-passthrough"
PASSTHROUGH_RUNS = ("before", "after", "last")  # when each passthrough runs: around the processor and the latency run


def span_rate(records: list[Any], count: int) -> float:
    """Events per second over the first to the last record's timestamp."""
    stamps: list[int] = [record.timestamp for record in records]
    return count / max((max(stamps) - min(stamps)) / 1000.0, 1e-3)


async def passthrough(settings: Settings, count: int, run: str) -> None:
    """Consume the input topics and produce every message unchanged to the run's topic, committing after each batch's
    sends (a group of the run's own, so each run reads every input)."""
    config = aiokafka_config(settings)
    names = [settings.topic(spec.suffix) for spec in INPUTS]
    consumer = AIOKafkaConsumer(
        *names,
        group_id=kafka_name(settings.topic_prefix, f"passthrough-{run}"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **config,
    )
    producer = AIOKafkaProducer(acks="all", linger_ms=5, **config)
    await consumer.start()
    await producer.start()
    try:
        seen = 0
        while seen < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=2000)
            sends = [
                await producer.send(settings.topic(f"{PASSTHROUGH}-{run}"), key=record.key, value=record.value)
                for records in batches.values()
                for record in records
            ]
            await asyncio.gather(*sends)
            await until_coordinator_ready_async(consumer.commit)
            seen += len(sends)
    finally:
        await consumer.stop()
        await producer.stop()


class PassthroughRun(NamedTuple):
    """What one passthrough run measured."""

    events_per_s: float  # first to last output record
    cpu_us_per_event: float  # this process's CPU while it ran, start-up included


def passthrough_run(settings: Settings, count: int, run: str) -> PassthroughRun:
    """One passthrough run over every input, in this process (nothing else runs in it meanwhile)."""
    cpu = time.process_time()
    asyncio.run(passthrough(settings, count, run))
    cpu = time.process_time() - cpu
    rate = span_rate(read_all(settings, f"{PASSTHROUGH}-{run}", timeout=300), count)
    return PassthroughRun(rate, cpu / count * 1e6)
