"""Every worker's own view of the releases topic: family -> releases, turned into the rules' Catalog."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

import schemas
from lifecycle.rules import Catalog, Release, catalog_from_releases, release_from_event
from lifecycle.settings import Settings
from lifecycle.topics import RELEASES
from streams.kafka_clients import aiokafka_config

log = logging.getLogger(__name__)


class ReleasesView:
    """Reads the whole releases topic (no consumer group) and keeps reading; each worker has one."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = RELEASES.name(settings.topic_prefix)
        self._releases: dict[tuple[str, str], Release] = {}
        self._catalog: Catalog = {}
        self.caught_up = asyncio.Event()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def by_family(self) -> dict[str, list[Release]]:
        """Family -> its releases, oldest first."""
        return {family: list(releases) for family, releases in self._catalog.items()}

    def take(self, raw: bytes | None) -> bool:
        """Add the release a message announces; False when it is not a valid release (the agent dead-letters it)."""
        try:
            event = schemas.decode_event(raw or b"")
            if event["type"] != "release":
                return False
            release = release_from_event(event)
        except (schemas.InvalidMessage, KeyError, ValueError):
            return False
        if self._releases.get((release.family, release.version)) != release:
            self._releases[(release.family, release.version)] = release
            self._catalog = catalog_from_releases(self._releases.values())
        return True

    async def run(self) -> None:
        """Read from the beginning, mark `caught_up` at the end offsets seen at start, then follow new releases."""
        consumer = AIOKafkaConsumer(enable_auto_commit=False, group_id=None, **aiokafka_config(self._settings))
        await consumer.start()
        try:
            partitions = await self._wait_for_partitions(consumer)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            targets: dict[Any, int] = await consumer.end_offsets(partitions)
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for records in batches.values():
                    for record in records:
                        self.take(record.value)
                if not self.caught_up.is_set() and await _reached(consumer, targets):
                    log.info("releases view caught up: %d releases", len(self._releases))
                    self.caught_up.set()
        finally:
            await consumer.stop()

    async def _wait_for_partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        while True:
            if self._topic in await consumer.topics():
                # `lifecycle worker` checked at start that the broker's partition count matches the definition.
                return [TopicPartition(self._topic, p) for p in range(RELEASES.partitions)]
            log.warning("topic %s not found yet; run `lifecycle topics`", self._topic)
            await asyncio.sleep(1.0)


async def _reached(consumer: AIOKafkaConsumer, targets: dict[Any, int]) -> bool:
    for tp, end in targets.items():
        if await consumer.position(tp) < end:
            return False
    return True
