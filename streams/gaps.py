"""Ask the broker which offsets of a partition exist: the only ground on which the processor passes over a gap.

Offsets are absent from a partition below its log start (retention or deletion moved it), where transaction
markers stand (control records, never delivered), and where compaction removed records. A fetch from an
offset tells them apart from records faust merely failed to deliver: it returns the first record at or after
that offset, and its position moves past markers and removed records even when no record comes back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition

from lifecycle.settings import Settings
from streams.kafka_clients import ISOLATION_LEVEL, aiokafka_config

log = logging.getLogger(__name__)

PROBE_SECONDS = 5.0  # how long one question may wait for the broker before the answer is "unknown"


class Probe(Protocol):
    """The broker's answer about a partition's offsets."""

    async def first_present(self, tp: Any, offset: int) -> int | None:
        """The first offset at or after `offset` that holds a record (or the end); None when the broker did not say."""
        ...


class BrokerProbe:
    """A Probe over its own plain consumer (no group, nothing committed), started on the first question."""

    def __init__(self, settings: Settings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._consumer: AIOKafkaConsumer | None = None
        self._asking = asyncio.Lock()  # the agent and the idle check may ask at once: one question at a time
        self._closed = False

    async def first_present(self, tp: Any, offset: int) -> int | None:
        async with self._asking:
            if self._closed:
                return None  # stopping: "unknown", and no consumer started again
            return await self._ask(tp, offset)

    async def _ask(self, tp: Any, offset: int) -> int | None:
        partition = TopicPartition(tp.topic, tp.partition)
        deadline = time.monotonic() + PROBE_SECONDS
        try:
            consumer = await self._started()
            consumer.assign([partition])
            consumer.seek(partition, offset)
            while time.monotonic() < deadline:
                batches = await consumer.getmany(partition, timeout_ms=500, max_records=1)
                records = batches.get(partition, [])
                if records:
                    return int(records[0].offset)
                position = int(await consumer.position(partition))
                if position > offset:  # moved past markers or removed records without a record to show
                    return position
        except Exception as exc:  # an unanswered question is "unknown", never "absent"
            log.warning("could not ask the broker about %s[%d] from %d: %r", tp.topic, tp.partition, offset, exc)
        return None

    async def close(self) -> None:
        """Stop its consumer (after any question under way); later questions are answered None."""
        async with self._asking:
            self._closed = True
            if self._consumer is not None:
                consumer, self._consumer = self._consumer, None
                await consumer.stop()

    async def _started(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                client_id=self._client_id,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",  # from below the log start: its first record, the rest is absent
                isolation_level=ISOLATION_LEVEL,  # as the worker reads: aborted records are absent to it
                **aiokafka_config(self._settings),
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer
