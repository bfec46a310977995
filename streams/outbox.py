"""The records one batch of messages produced, sent at the batch's end as one producer batch per topic partition.

Handing aiokafka one record at a time costs a partitioner call, a metadata check and a delivery future per record,
and the Checkpoint then tracks each future: most of the worker's time outside the rules. Here the agent adds its
records (outputs and the serials' changelog records) during the batch and `send` hands them to the producer as
one batch per topic partition (split where one would pass the producer's batch size). Each batch's delivery is
tracked by the Checkpoint like a single record's: no commit passes it until the broker has every record in it.

A keyed record goes to its key's murmur2 partition, as aiokafka's own partitioner would place it; a record
without a key to a random partition, as aiokafka does. Records of one topic partition keep their order.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lifecycle.partitioning import murmur2_partition

Track = Callable[[str, Awaitable[Any]], None]  # what (a topic label), the delivery: the Checkpoint's
OnSent = Callable[[Any, int], None]  # the batch's metadata (its first record's offset), how many records it held


class Outbox:
    """Records waiting for the batch's end, by topic and partition."""

    def __init__(self, producer: Callable[[], Any], partitions: Mapping[str, int], track: Track) -> None:
        self._producer = producer  # the aiokafka producer (faust makes it when the app starts)
        self._partitions = dict(partitions)  # topic -> partition count
        self._track = track
        self._labels: dict[str, str] = {}
        self._on_sent: dict[str, OnSent] = {}
        self._waiting: dict[tuple[str, int], list[tuple[bytes | None, bytes]]] = {}

    def on_sent(self, topic: str, callback: OnSent) -> None:
        """Call `callback` with each delivered batch of `topic`."""
        self._on_sent[topic] = callback

    def add(self, label: str, topic: str, key: bytes | None, value: bytes, partition: int | None = None) -> None:
        """Keep a record for `send`; `label` names its topic when its delivery fails."""
        if partition is None:
            partition = self._place(topic, key)
        self._labels[topic] = label
        self._waiting.setdefault((topic, partition), []).append((key, value))

    def __len__(self) -> int:
        return sum(len(records) for records in self._waiting.values())

    async def send(self) -> None:
        """Hand every waiting record to the producer, one batch per topic partition, each delivery tracked."""
        waiting, self._waiting = self._waiting, {}
        if not waiting:
            return
        producer = self._producer()
        for (topic, partition), records in waiting.items():
            batch, count = producer.create_batch(), 0
            for key, value in records:
                if batch.append(key=key, value=value, timestamp=None) is None:  # full: send it, start the next
                    await self._submit(producer, batch, count, topic, partition)
                    batch, count = producer.create_batch(), 0
                    batch.append(key=key, value=value, timestamp=None)  # a batch takes its first record whole
                count += 1
            await self._submit(producer, batch, count, topic, partition)

    async def _submit(self, producer: Any, batch: Any, count: int, topic: str, partition: int) -> None:
        batch.close()
        sent = await producer.send_batch(batch, topic, partition=partition)
        callback = self._on_sent.get(topic)
        if callback is not None:
            sent.add_done_callback(lambda done: _report(done, callback, count))
        self._track(self._labels[topic], sent)

    def _place(self, topic: str, key: bytes | None) -> int:
        partitions = self._partitions[topic]
        if key is None:
            return random.randrange(partitions)
        return murmur2_partition(key, partitions)


def _report(done: Any, callback: OnSent, count: int) -> None:
    if not done.cancelled() and done.exception() is None:
        callback(done.result(), count)
