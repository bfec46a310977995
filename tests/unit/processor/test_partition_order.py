"""PartitionOrder: in-order positions that pass over no offset the broker holds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import NamedTuple

from prometheus_client import REGISTRY

from streams.in_order import IDLE_CHECKS_BEFORE_RESEEK, RESEEK_AFTER_SECONDS, STUCK_AFTER_SEEKS, PartitionOrder


class TP(NamedTuple):
    topic: str
    partition: int


PURCHASES = TP("p.purchases", 0)


@dataclass
class Broker:
    """The group consumer as PartitionOrder sees it (streams.in_order.Broker)."""

    offsets: dict[TP, int | None] = field(default_factory=dict)
    earliest: int = 0
    ends: dict[TP, int] = field(default_factory=dict)
    flow_active: bool = True
    generation: int = 1
    seeks: list[tuple[TP, int]] = field(default_factory=list)
    failing_seeks: int = 0

    def assignment(self) -> set[TP]:
        return {PURCHASES, TP("p-processor-serial_to_state-changelog", 0)}

    def committed(self, tp: TP) -> int | None:
        return self.offsets.get(tp)

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))
        if self.failing_seeks:
            self.failing_seeks -= 1
            raise RuntimeError("partition not assigned")

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, self.earliest)

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.ends.get(tp, 0) for tp in tps}


@dataclass
class Probe:
    """The broker's answer: offsets in `absent` hold no record; `silent` means it does not answer."""

    absent: set[int] = field(default_factory=set)
    silent: bool = False
    asked: list[int] = field(default_factory=list)

    async def first_present(self, tp: TP, offset: int) -> int | None:
        self.asked.append(offset)
        if self.silent:
            return None
        while offset in self.absent:
            offset += 1
        return offset


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    order: PartitionOrder
    broker: Broker
    probe: Probe
    clock: Clock
    reports: list[str | None]


def setup(broker: Broker, probe: Probe | None = None) -> Setup:
    clock, probe = Clock(), probe or Probe()
    reports: list[str | None] = []
    order = PartitionOrder(probe, frozenset({PURCHASES.topic}), lambda: broker.generation, reports.append, clock=clock)
    order.broker = broker
    return Setup(order, broker, probe, clock, reports)


def admit(order: PartitionOrder, offset: int, generation: int = 1) -> bool:
    return asyncio.run(order.admit(PURCHASES, offset, generation))


def handle_in_order(order: PartitionOrder, offsets: range, generation: int = 1) -> None:
    for offset in offsets:
        assert admit(order, offset, generation)
        order.done(PURCHASES, offset)


def rereads(cause: str) -> float:
    return REGISTRY.get_sample_value("lifecycle_rereads_total", {"cause": cause}) or 0.0


def test_in_order_messages_are_admitted_and_the_commit_position_follows_them() -> None:
    s = setup(Broker(offsets={PURCHASES: 5}))
    handle_in_order(s.order, range(5, 8))
    assert s.order.commit_position(PURCHASES) == 8
    assert not admit(s.order, 6)  # a late copy of what is done is skipped
    assert s.broker.seeks == []
    assert s.probe.asked == []


def test_a_partition_without_a_committed_offset_starts_at_its_earliest() -> None:
    s = setup(Broker(offsets={PURCHASES: None}, earliest=3))
    assert not admit(s.order, 10)  # faust skipped 3..9, which exist: read them again
    assert s.broker.seeks == [(PURCHASES, 3)]
    assert s.order.commit_position(PURCHASES) == 3


def test_offsets_that_exist_are_read_again_once_per_interval_and_never_passed_over() -> None:
    s = setup(Broker(offsets={PURCHASES: 0}))
    handle_in_order(s.order, range(0, 2))
    assert not admit(s.order, 122)
    assert not admit(s.order, 123)  # still buffered from before the seek: no second seek yet
    assert s.broker.seeks == [(PURCHASES, 2)]
    for _ in range(STUCK_AFTER_SEEKS * 3):  # however long it takes
        s.clock.now += RESEEK_AFTER_SECONDS
        assert not admit(s.order, 124)
    assert s.order.commit_position(PURCHASES) == 2
    handle_in_order(s.order, range(2, 125))  # the re-read arrives in order
    assert s.order.commit_position(PURCHASES) == 125


def test_a_partition_that_does_not_get_existing_offsets_is_reported_stuck_until_they_come() -> None:
    s = setup(Broker(offsets={PURCHASES: 66}))
    stuck_before = rereads("stuck")
    for _ in range(STUCK_AFTER_SEEKS):
        assert not admit(s.order, 744)
        s.clock.now += RESEEK_AFTER_SECONDS
    assert s.reports == []
    assert not admit(s.order, 744)
    why = f"offsets 66..743 exist but did not come after {STUCK_AFTER_SEEKS} seeks; reading again"
    assert s.reports == [f"p.purchases[0]: {why}"]
    assert rereads("stuck") == stuck_before + 1
    handle_in_order(s.order, range(66, 67))
    assert s.reports[-1] is None  # moving again: no longer stuck


def test_a_broker_that_does_not_answer_is_no_reason_to_go_on() -> None:
    s = setup(Broker(offsets={PURCHASES: 10}), Probe(absent={10, 11}, silent=True))
    assert not admit(s.order, 12)
    assert s.broker.seeks == [(PURCHASES, 10)]


def test_offsets_the_broker_shows_absent_are_passed_over_at_once() -> None:
    s = setup(Broker(offsets={PURCHASES: 10}), Probe(absent={10, 11}))  # transaction markers, or compacted away
    absent_before = rereads("absent")
    assert admit(s.order, 12)
    s.order.done(PURCHASES, 12)
    assert s.broker.seeks == []
    assert s.order.commit_position(PURCHASES) == 13
    assert rereads("absent") == absent_before + 1


def test_only_the_absent_head_of_a_gap_is_passed_over() -> None:
    s = setup(Broker(offsets={PURCHASES: 10}), Probe(absent={10, 11}))
    assert not admit(s.order, 20)  # 12..19 exist
    assert s.broker.seeks == [(PURCHASES, 12)]
    assert s.order.commit_position(PURCHASES) == 12


def test_a_new_generation_takes_every_position_from_the_committed_offsets_again() -> None:
    s = setup(Broker(offsets={PURCHASES: 0}))
    handle_in_order(s.order, range(0, 50))
    s.broker.offsets[PURCHASES] = 30  # what the broker holds when the next assignment starts
    s.broker.generation = 2
    assert s.order.commit_position(PURCHASES) is None  # nothing handled in the new assignment yet
    assert admit(s.order, 30, generation=2)
    s.order.done(PURCHASES, 30)
    assert s.order.commit_position(PURCHASES) == 31


def test_an_idle_partition_with_waiting_messages_is_read_again_after_several_checks() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}, ends={PURCHASES: 9}))
    for _ in range(IDLE_CHECKS_BEFORE_RESEEK):
        assert s.broker.seeks == []
        asyncio.run(s.order.check_idle())
    assert s.broker.seeks == [(PURCHASES, 4)]  # the changelog partition is not the agent's


def test_a_seek_that_fails_is_made_again_later_and_stops_nothing() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}, ends={PURCHASES: 9}, failing_seeks=1))
    for _ in range(IDLE_CHECKS_BEFORE_RESEEK):
        asyncio.run(s.order.check_idle())  # the idle check's seek fails: no exception leaves it
    assert not admit(s.order, 7)  # not handled out of order; the seek waits its interval
    s.clock.now += RESEEK_AFTER_SECONDS
    assert not admit(s.order, 8)  # and then is made again
    assert s.broker.seeks == [(PURCHASES, 4), (PURCHASES, 4)]
    handle_in_order(s.order, range(4, 9))
    assert s.order.commit_position(PURCHASES) == 9


def test_an_idle_partition_whose_last_offsets_are_markers_moves_to_the_end_at_the_first_check() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}, ends={PURCHASES: 6}), Probe(absent={4, 5}))
    asyncio.run(s.order.check_idle())  # a transaction's markers after its records: never delivered
    assert (s.order.commit_position(PURCHASES), s.probe.asked, s.broker.seeks) == (6, [4], [])


def test_an_idle_partition_is_asked_about_once_per_position_it_stands_still_at() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}, ends={PURCHASES: 9}))  # offsets 4..8 exist: they wait their turn
    for _ in range(IDLE_CHECKS_BEFORE_RESEEK - 1):
        asyncio.run(s.order.check_idle())
    assert (s.probe.asked, s.broker.seeks) == ([4], [])
    handle_in_order(s.order, range(4, 5))
    asyncio.run(s.order.check_idle())  # it moved since the last check
    assert s.probe.asked == [4]
    asyncio.run(s.order.check_idle())
    assert s.probe.asked == [4, 5]


def test_no_idle_check_while_a_rebalance_stops_the_flow() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}, ends={PURCHASES: 9}, flow_active=False))
    for _ in range(IDLE_CHECKS_BEFORE_RESEEK + 1):
        asyncio.run(s.order.check_idle())
    assert s.broker.seeks == []


def test_a_partition_that_moves_on_is_not_read_again() -> None:
    s = setup(Broker(offsets={PURCHASES: 0}, ends={PURCHASES: 100}))
    for offset in range(IDLE_CHECKS_BEFORE_RESEEK * 2):
        asyncio.run(s.order.check_idle())
        handle_in_order(s.order, range(offset, offset + 1))
    assert s.broker.seeks == []


def test_each_idle_seek_without_progress_doubles_the_wait_for_the_next() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}, ends={PURCHASES: 9}))
    checks_at_seek: list[int] = []
    for check in range(1, IDLE_CHECKS_BEFORE_RESEEK * 7 + 1):
        asyncio.run(s.order.check_idle())
        if len(s.broker.seeks) > len(checks_at_seek):
            checks_at_seek.append(check)
    assert checks_at_seek == [IDLE_CHECKS_BEFORE_RESEEK * n for n in (1, 3, 7)]


def test_a_message_done_after_its_partition_left_in_a_rebalance_changes_nothing() -> None:
    s = setup(Broker(offsets={PURCHASES: 5}))
    assert admit(s.order, 5)
    s.order.partitions.clear()  # a rebalance took the partition while the message was handled
    s.order.done(PURCHASES, 5)
    assert s.order.commit_position(PURCHASES) is None


@dataclass
class SlowBroker(Broker):
    """A broker whose first answer about earliest offsets waits for `answer` (the consumer was busy fetching)."""

    answer: asyncio.Event = field(default_factory=asyncio.Event)
    asked: int = 0

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        self.asked += 1
        if self.asked == 1:
            await self.answer.wait()
        return dict.fromkeys(tps, self.earliest)


def test_positions_the_agent_reached_while_the_idle_check_waited_for_the_broker_are_kept() -> None:
    async def race() -> None:
        s = setup(SlowBroker(offsets={PURCHASES: None}, ends={PURCHASES: 9}))
        broker = s.broker
        assert isinstance(broker, SlowBroker)
        check = asyncio.create_task(s.order.check_idle())  # asks where the unknown partitions start, and waits
        await asyncio.sleep(0)
        assert await s.order.admit(PURCHASES, 0, 1)
        s.order.done(PURCHASES, 0)
        broker.answer.set()
        await check
        assert await s.order.admit(PURCHASES, 1, 1)  # not sent back to 0 by the idle check's late answer
        assert broker.seeks == []
        assert s.order.commit_position(PURCHASES) == 1

    asyncio.run(race())


def test_the_first_message_learns_every_assigned_input_partition_at_once() -> None:
    s = setup(Broker(offsets={PURCHASES: 4}))
    assert admit(s.order, 4)
    assert set(s.order.partitions) == {PURCHASES}  # the changelog partition is not the agent's
    assert s.order.partitions[PURCHASES].expected == 4
