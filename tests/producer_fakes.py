"""aiokafka's batch interface as the Outbox uses it: builders that take records, deliveries the test settles."""

from __future__ import annotations

import asyncio
from typing import Any


class Batch:
    """An aiokafka batch builder: takes records until closed."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes | None, bytes]] = []

    def append(self, *, key: bytes | None, value: bytes, timestamp: float | None) -> object:
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        pass


class Producer:
    """aiokafka's batch interface; each batch's delivery settles when the test says."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, list[tuple[bytes | None, bytes]]]] = []
        self.deliveries: list[asyncio.Future[Any]] = []

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, *, partition: int) -> asyncio.Future[Any]:
        self.sent.append((topic, partition, batch.records))
        self.deliveries.append(asyncio.get_running_loop().create_future())
        return self.deliveries[-1]
