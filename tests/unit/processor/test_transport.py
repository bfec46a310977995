"""The `lifecycle://` transport: faust's own consumer, committing what the Checkpoint says and dropping nothing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from streams.checkpoint import Checkpoint
from streams.in_order import IDLE_CHECKS_BEFORE_RESEEK, PartitionOrder
from streams.stopping import EXIT_CODE, CrashWatch, one_line
from streams.transport import SCHEME, CheckpointConsumer, ProcessorApp

PURCHASES = TP("p.purchases", 2)


class Probe:
    async def first_present(self, tp: Any, offset: int) -> int | None:
        return offset


def consumer_of(events: list[str]) -> tuple[CheckpointConsumer, Checkpoint]:
    order = PartitionOrder(Probe(), frozenset({PURCHASES.topic}), lambda: 0, lambda reason: None)
    checkpoint = Checkpoint(order, stop=events.append)
    app = ProcessorApp(checkpoint, "transport-test", broker=f"{SCHEME}://127.0.0.1:1", autodiscover=False)
    consumer = app.consumer
    assert isinstance(consumer, CheckpointConsumer)
    assert id(checkpoint.order.broker) == id(consumer)  # attached when faust made it
    return consumer, checkpoint


def test_the_commit_position_is_the_checkpoint_s_and_faust_s_acks_are_only_trimmed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def earliest(self: Any, *tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, 0)

    monkeypatch.setattr(CheckpointConsumer, "earliest_offsets", earliest)  # no broker in a unit test
    monkeypatch.setattr(CheckpointConsumer, "assignment", lambda self: {PURCHASES})

    async def scenario() -> None:
        consumer, checkpoint = consumer_of([])
        consumer._committed_offset[PURCHASES] = 5
        consumer._acked[PURCHASES] = [5, 6, 9]
        consumer._acked_index[PURCHASES] = {5, 6, 9}
        assert consumer._new_offset(PURCHASES) is None  # nothing handled in this assignment yet
        for offset in (5, 6, 7):
            assert await checkpoint.admit(PURCHASES, offset, 0)
            checkpoint.done(PURCHASES, offset)
        assert consumer._new_offset(PURCHASES) == 8  # faust's acks lack 7: they decide nothing
        assert consumer._acked[PURCHASES] == [9]
        assert consumer._acked_index[PURCHASES] == {9}

    asyncio.run(scenario())


def test_a_partition_whose_offsets_were_all_absent_is_committed_past_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an aborted transaction and its marker (offsets 0..2): no message comes, no ack, yet it is committed."""

    class AbortedOnly:
        async def first_present(self, tp: Any, offset: int) -> int | None:
            return 3  # the broker's answer: nothing readable before the end

    async def offsets(self: Any, *tps: TP, at: int) -> dict[TP, int]:
        return dict.fromkeys(tps, at)

    monkeypatch.setattr(CheckpointConsumer, "earliest_offsets", lambda self, *tps: offsets(self, *tps, at=0))
    monkeypatch.setattr(CheckpointConsumer, "highwaters", lambda self, *tps: offsets(self, *tps, at=3))
    monkeypatch.setattr(CheckpointConsumer, "assignment", lambda self: {PURCHASES})
    monkeypatch.setattr(CheckpointConsumer, "flow_active", True)
    monkeypatch.setattr(CheckpointConsumer, "seek", lambda self, tp, offset: asyncio.sleep(0))

    async def scenario() -> dict[TP, int]:
        consumer, checkpoint = consumer_of([])
        checkpoint.order.probe = AbortedOnly()
        for _ in range(IDLE_CHECKS_BEFORE_RESEEK + 1):
            await checkpoint.check_idle()
        assert not consumer._acked.get(PURCHASES)
        return consumer._filter_committable_offsets(consumer._filter_tps_with_pending_acks())

    assert asyncio.run(scenario()) == {PURCHASES: 3}


def test_faust_s_read_offsets_drop_nothing_and_its_gaps_count_for_nothing() -> None:
    async def scenario() -> None:
        consumer, _ = consumer_of([])
        consumer._read_offset[PURCHASES] = 40  # faust's seek and fetch loop write it
        assert consumer._read_offset[PURCHASES] is None
        await consumer._add_gap(PURCHASES, 10, 20)
        assert not consumer._gap.get(PURCHASES)

    asyncio.run(scenario())


def test_a_commit_waits_for_the_records_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []

    async def commit(self: Any, offsets: Mapping[TP, int]) -> bool:
        events.append(f"commit {dict(offsets)[PURCHASES]}")
        return True

    monkeypatch.setattr(faust_aiokafka.Consumer, "_commit", commit)

    async def scenario() -> None:
        consumer, checkpoint = consumer_of(events)
        sent = asyncio.get_running_loop().create_future()
        checkpoint.track("entitlements", sent)
        committing = asyncio.ensure_future(consumer._commit({PURCHASES: 8}))
        await asyncio.sleep(0.01)
        assert events == []
        sent.set_result(None)
        assert await asyncio.wait_for(committing, 1)
        assert events == ["commit 8"]

    asyncio.run(scenario())


def test_a_crashed_service_stops_the_worker_with_one_line() -> None:
    stops: list[str] = []
    crash: list[BaseException] = []
    watcher = CrashWatch(lambda: crash[0] if crash else None, stop=stops.append)
    watcher.start()
    crash.append(RuntimeError("producer buffer failed\nTraceback ..."))
    watcher.join(5)
    assert stops == ["a faust service crashed: RuntimeError: producer buffer failed"]
    assert one_line("two\n  lines") == "two lines"


def test_a_worker_that_cannot_go_on_exits_with_its_code_and_one_line() -> None:
    code = "from streams.stopping import stop_worker; stop_worker('a changelog record was not delivered:\\n  detail')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == EXIT_CODE
    assert done.stderr.splitlines()[-1] == "lifecycle worker: stopped: a changelog record was not delivered: detail"


def test_a_seek_is_queued_to_the_consumer_s_thread_never_made_from_the_app_s() -> None:
    class Thread:
        def __init__(self) -> None:
            self.calls: list[tuple[str, Any]] = []

        def seek(self, partition: TP, offset: int) -> None:  # from the app's thread: races the fetcher
            self.calls.append(("seek", (partition, offset)))

        async def seek_wait(self, partitions: Mapping[TP, int]) -> None:
            self.calls.append(("seek_wait", dict(partitions)))

    async def scenario() -> list[tuple[str, Any]]:
        consumer, _ = consumer_of([])
        thread = Thread()
        consumer._thread = thread  # type: ignore[assignment]
        await consumer.seek(PURCHASES, 12)
        return thread.calls

    assert asyncio.run(scenario()) == [("seek_wait", {PURCHASES: 12})]
