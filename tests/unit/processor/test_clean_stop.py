"""A clean stop closes what the worker opened beside faust: the gap probe's consumer and the crash watch."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import streams.gaps
from lifecycle.settings import Settings
from streams.app import create_processor, group_id
from streams.checkpoint import Checkpoint
from streams.command import guard
from streams.gaps import BrokerProbe
from streams.in_order import PartitionOrder
from streams.transport import SCHEME, ProcessorApp


class Probe:
    async def first_present(self, tp: Any, offset: int) -> int | None:
        return offset


class FakeConsumer:
    def __init__(self) -> None:
        self.stopped = 0

    async def stop(self) -> None:
        self.stopped += 1


class Worker:
    crash_reason: BaseException | None = None


def app_for_test() -> ProcessorApp:
    order = PartitionOrder(Probe(), frozenset({"p.purchases"}), lambda: 0, lambda reason: None)
    return ProcessorApp(Checkpoint(order), "clean-stop-test", broker=f"{SCHEME}://127.0.0.1:1", autodiscover=False)


def test_the_app_s_stop_runs_every_closer_once_even_when_one_fails() -> None:
    app, closed = app_for_test(), []

    async def close_async() -> None:
        closed.append("async")

    def close_failing() -> None:
        closed.append("failing")
        raise OSError("already gone")

    for close in (close_async, close_failing, lambda: closed.append("plain")):
        app.close_on_stop(close)

    async def stop_twice() -> None:
        await app.stop()
        await app.on_shutdown()  # a second stop closes nothing again

    asyncio.run(stop_twice())
    assert closed == ["async", "failing", "plain"]


def test_a_closed_probe_stops_its_consumer_and_never_starts_another(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_new_consumer(**kwargs: Any) -> Any:
        raise AssertionError("a closed probe started a consumer")

    monkeypatch.setattr(streams.gaps, "AIOKafkaConsumer", no_new_consumer)
    probe, consumer = BrokerProbe(Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "p"}), "probe"), FakeConsumer()
    probe._consumer = consumer  # as if a question had started it

    async def scenario() -> int | None:
        await probe.close()
        await probe.close()
        return await probe.first_present(type("TP", (), {"topic": "p.purchases", "partition": 0})(), 5)

    assert asyncio.run(scenario()) is None  # "unknown", never "absent"
    assert consumer.stopped == 1


def test_the_processor_closes_its_probe_when_the_app_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []

    async def close(self: BrokerProbe) -> None:
        closed.append(self._client_id)

    monkeypatch.setattr(BrokerProbe, "close", close)
    settings = Settings.from_env({"LIFECYCLE_TOPIC_PREFIX": "p"})
    processor = create_processor(settings)
    assert closed == []
    asyncio.run(processor.app.on_shutdown())
    assert closed == [f"{group_id(settings)}-probe"]


def test_the_crash_watch_ends_when_the_app_stops_cleanly() -> None:
    app = app_for_test()
    watcher = guard(Worker(), app)
    assert watcher.is_alive()
    asyncio.run(app.on_shutdown())
    watcher.join(timeout=2)
    assert not watcher.is_alive()
