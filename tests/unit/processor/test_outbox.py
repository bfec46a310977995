"""Outbox: a batch's records sent at its end, one producer batch per topic partition, each delivery tracked."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.partitioner import DefaultPartitioner
from producer_fakes import Batch, Producer

from streams.outbox import Outbox


class SmallBatch(Batch):
    """Full after two records."""

    def append(self, *, key: bytes | None, value: bytes, timestamp: float | None) -> object:
        if len(self.records) == 2:
            return None
        return super().append(key=key, value=value, timestamp=timestamp)


class SmallProducer(Producer):
    def create_batch(self) -> Batch:
        return SmallBatch()


def sent_by(producer: Producer, partitions: dict[str, int], *records: tuple[str, bytes | None, bytes]) -> list[Any]:
    tracked: list[str] = []

    async def scenario() -> None:
        outbox = Outbox(lambda: producer, partitions, lambda what, sent: tracked.append(what))
        for topic, key, value in records:
            outbox.add(topic.upper(), topic, key, value)
        assert len(outbox) == len(records)
        await outbox.send()
        assert len(outbox) == 0

    asyncio.run(scenario())
    assert len(tracked) == len(producer.deliveries)
    return producer.sent


def test_keyed_records_go_where_aiokafka_s_own_partitioner_would_place_them() -> None:
    keys = [f"SF-{n}".encode() for n in range(40)]
    sent = sent_by(Producer(), {"e": 6}, *(("e", key, b"v") for key in keys))
    placed = {key: partition for _, partition, records in sent for key, _ in records}
    aiokafka = DefaultPartitioner()
    assert placed == {key: aiokafka(key, list(range(6)), list(range(6))) for key in keys}


def test_records_of_one_partition_keep_their_order_and_a_full_batch_continues_in_the_next() -> None:
    sent = sent_by(
        SmallProducer(), {"e": 1, "n": 1}, *(("e", b"k", str(n).encode()) for n in range(5)), ("n", b"k", b"x")
    )
    assert [(topic, [value for _, value in records]) for topic, _, records in sent] == [
        ("e", [b"0", b"1"]),
        ("e", [b"2", b"3"]),
        ("e", [b"4"]),
        ("n", [b"x"]),
    ]


def test_an_empty_outbox_sends_nothing() -> None:
    assert sent_by(Producer(), {"e": 6}) == []
