"""Rerouter: misplaced messages are sent on, each copy's delivery handed to the Checkpoint (no commit passes it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import REGISTRY

from lifecycle.partitioning import murmur2_partition
from lifecycle.rules import Policy, catalog_from_releases
from lifecycle.topics import PARTITIONS
from streams.handler import Context, Inbound
from streams.placement import REROUTED_FROM
from streams.rerouting import MAX_SOURCES, Rerouter

TOPIC = "p.purchases"
KEY = b"SF-R-1"
HOME = murmur2_partition(KEY, PARTITIONS)
AWAY = (HOME + 1) % PARTITIONS
VALUE = orjson.dumps({"serial": "SF-R-1", "source": "store-kcat"})
FAILED_AT = datetime(2026, 1, 1, tzinfo=UTC)
CONTEXT = Context("p", catalog_from_releases([]), Policy.with_lead_days((30,)), lambda: FAILED_AT)


class Producer:
    """The part of faust's producer that Rerouter uses; each send's delivery is settled by the test."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.deliveries: list[asyncio.Future[Any]] = []
        self.refuse: Exception | None = None

    async def send(self, *args: Any) -> asyncio.Future[Any]:
        if self.refuse is not None:
            raise self.refuse
        self.sent.append(args)
        self.deliveries.append(asyncio.get_running_loop().create_future())
        return self.deliveries[-1]


def _message(partition: int, offset: int = 5, key: bytes | None = KEY, value: bytes = VALUE) -> Inbound:
    return Inbound(TOPIC, partition, offset, key, value)


def _made() -> tuple[Producer, Rerouter, list[tuple[str, Any]]]:
    producer, tracked = Producer(), []
    rerouter = Rerouter({TOPIC: PARTITIONS}, lambda: producer, lambda what, sent: tracked.append((what, sent)))
    return producer, rerouter, tracked


def _count(source: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_rerouted_total", {"topic": TOPIC, "source": source}) or 0.0


def test_a_misplaced_message_is_sent_on_and_its_delivery_tracked() -> None:
    async def scenario() -> None:
        producer, rerouter, tracked = _made()
        before = _count("store-kcat")

        assert await rerouter.forward(_message(HOME), None, CONTEXT) is None
        assert await rerouter.forward(_message(AWAY, key=None), None, CONTEXT) is None
        assert await rerouter.forward(Inbound("p.releases", AWAY, 1, KEY, VALUE), None, CONTEXT) is None
        assert producer.sent == []

        handled = await rerouter.forward(_message(AWAY), [("trace", b"t1")], CONTEXT)
        assert handled is not None
        assert (handled.outcome, handled.records, handled.stored) == ("rerouted", (), None)
        origin = f"{TOPIC}/{AWAY}/5".encode()
        assert producer.sent == [(TOPIC, KEY, VALUE, HOME, None, [("trace", b"t1"), (REROUTED_FROM, origin)])]
        assert _count("store-kcat") == before + 1
        arrived = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
        await rerouter.forward(Inbound(TOPIC, AWAY, 6, KEY, VALUE, arrived), None, CONTEXT)
        assert producer.sent[1][3:5] == (HOME, arrived.timestamp())  # the copy keeps the original's time

        assert tracked == [("rerouted", producer.deliveries[0]), ("rerouted", producer.deliveries[1])]

    asyncio.run(scenario())


def test_a_send_refused_at_once_and_a_misplaced_copy_are_dead_lettered() -> None:
    async def scenario() -> None:
        producer, rerouter, _ = _made()
        producer.refuse = AssertionError("Unrecognized partition")
        refused = await rerouter.forward(_message(AWAY), None, CONTEXT)
        assert refused is not None
        assert refused.outcome == "deadletter"
        assert refused.reason == "rerouting failed: AssertionError: Unrecognized partition"

        producer.refuse = None
        again = await rerouter.forward(_message(AWAY, 9), [(REROUTED_FROM, b"p.purchases/2/4")], CONTEXT)
        assert again is not None
        assert again.outcome == "deadletter"
        assert again.reason is not None
        assert again.reason.startswith("misplaced after rerouting")
        [record] = again.records
        letter = orjson.loads(record.value)
        assert (record.suffix, record.key) == ("deadletter", KEY)
        assert letter["origin"] == {"topic": TOPIC, "partition": AWAY, "offset": 9}
        assert producer.sent == []

    asyncio.run(scenario())


def test_sources_past_the_cap_are_counted_as_other() -> None:
    async def scenario() -> None:
        _, rerouter, _ = _made()
        before = _count("other")
        for n in range(MAX_SOURCES + 3):
            value = orjson.dumps({"source": f"cap-{n}"})
            await rerouter.forward(_message(AWAY, n, value=value), None, CONTEXT)
        assert _count(f"cap-{MAX_SOURCES - 1}") == 1
        assert _count("other") == before + 3

    asyncio.run(scenario())
