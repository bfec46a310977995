"""Checkpoint: no commit before every record handed to the producer is on the broker; a lost one stops the worker."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from faust import types as faust_types

from streams import checkpoint as checkpoint_module
from streams.checkpoint import Checkpoint, DeliveryFailed
from streams.in_order import PartitionOrder

TP = faust_types.TP("p.purchases", 0)


class Probe:
    async def first_present(self, tp: Any, offset: int) -> int | None:
        return offset


class Broker:
    flow_active = True

    def assignment(self) -> set[Any]:
        return {TP}

    def committed(self, tp: Any) -> int | None:
        return 7

    async def seek(self, tp: Any, offset: int) -> None:
        raise AssertionError("no seek expected")

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return dict.fromkeys(tps, 0)

    async def highwaters(self, *tps: Any) -> dict[Any, int]:
        return dict.fromkeys(tps, 100)


def made() -> tuple[Checkpoint, list[str]]:
    stops: list[str] = []
    order = PartitionOrder(Probe(), frozenset({TP[0]}), lambda: 1, lambda reason: None)
    checkpoint = Checkpoint(order, stop=stops.append)
    checkpoint.attach(Broker())
    return checkpoint, stops


def test_a_commit_waits_for_every_record_tracked_before_it() -> None:
    async def scenario() -> None:
        checkpoint, stops = made()
        loop = asyncio.get_running_loop()
        changelog, entitlement = loop.create_future(), loop.create_future()
        assert await checkpoint.admit(TP, 7, 1)
        checkpoint.track("changelog", changelog)
        checkpoint.track("entitlements", entitlement)
        checkpoint.done(TP, 7)
        assert checkpoint.commit_position(TP) == 8

        settling = asyncio.ensure_future(checkpoint.settle())
        changelog.set_result(None)
        await asyncio.sleep(0.01)
        assert not settling.done()  # the entitlement is not on the broker yet: no commit
        entitlement.set_result(None)
        await asyncio.wait_for(settling, 1)
        await checkpoint.settle()  # nothing pending: straight through
        assert stops == []

    asyncio.run(scenario())


def test_a_record_the_broker_refused_stops_the_worker_and_every_commit() -> None:
    async def scenario() -> None:
        checkpoint, stops = made()
        assert await checkpoint.admit(TP, 7, 1)
        sent = asyncio.get_running_loop().create_future()
        checkpoint.track("notices", sent)
        checkpoint.done(TP, 7)
        sent.set_exception(OSError("broker gone\nmore"))
        await asyncio.sleep(0)
        assert checkpoint.commit_position(TP) is None
        with pytest.raises(DeliveryFailed):
            await checkpoint.settle()
        assert stops == ["a notices record was not delivered: OSError: broker gone"]

    asyncio.run(scenario())


def test_records_not_acknowledged_in_time_stop_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoint_module, "SETTLE_SECONDS", 0.01)

    async def scenario() -> None:
        checkpoint, stops = made()
        checkpoint.track("changelog", asyncio.get_running_loop().create_future())  # a buffer that never sends
        with pytest.raises(DeliveryFailed):
            await checkpoint.settle()
        assert stops == ["1 records not acknowledged by the broker within 0 s"]

    asyncio.run(scenario())


def test_while_a_batch_is_open_no_commit_passes_where_it_began() -> None:
    async def scenario() -> None:
        checkpoint, _ = made()
        assert await checkpoint.admit(TP, 7, 1)
        checkpoint.done(TP, 7)
        checkpoint.hold()
        for offset in (8, 9, 10):
            assert await checkpoint.admit(TP, offset, 1)  # the batch reads on in order
            checkpoint.done(TP, offset)
        assert checkpoint.commit_position(TP) == 8  # its state writes are not tracked yet
        checkpoint.release()
        assert checkpoint.commit_position(TP) == 11

    asyncio.run(scenario())


def test_a_rebalance_within_a_batch_commits_nothing_until_it_ends() -> None:
    async def scenario() -> None:
        generation = [1]
        order = PartitionOrder(Probe(), frozenset({TP[0]}), lambda: generation[0], lambda reason: None)
        checkpoint = Checkpoint(order, stop=lambda reason: None)
        checkpoint.attach(Broker())
        assert await checkpoint.admit(TP, 7, 1)
        checkpoint.done(TP, 7)
        checkpoint.hold()
        generation[0] = 2
        assert await checkpoint.admit(TP, 7, 2)  # the new assignment starts from the committed offset again
        checkpoint.done(TP, 7)
        assert checkpoint.commit_position(TP) is None
        checkpoint.release()
        assert checkpoint.commit_position(TP) == 8

    asyncio.run(scenario())
