"""PartitionOrder: the processor's own in-order positions over faust's consumer bookkeeping."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from streams.in_order import ACCEPT_GAP_AFTER_SEEKS, IDLE_CHECKS_BEFORE_RESEEK, RESEEK_AFTER_SECONDS, PartitionOrder


class TP(NamedTuple):
    topic: str
    partition: int


PURCHASES = TP("p.purchases", 0)


@dataclass
class Consumer:
    """The few parts of faust's consumer that PartitionOrder reads and writes."""

    committed: dict[TP, int | None] = field(default_factory=dict)
    earliest: int = 0
    ends: dict[TP, int] = field(default_factory=dict)
    flow_active: bool = True
    generation: int = 1
    seeks: list[tuple[TP, int]] = field(default_factory=list)
    _read_offset: dict[TP, int | None] = field(default_factory=dict)
    _acked: defaultdict[TP, list[int]] = field(default_factory=lambda: defaultdict(list))
    _acked_index: defaultdict[TP, set[int]] = field(default_factory=lambda: defaultdict(set))

    @property
    def _committed_offset(self) -> dict[TP, int | None]:
        return self.committed

    def assignment(self) -> set[TP]:
        return {PURCHASES, TP("p-processor-serial_to_state-changelog", 0)}

    async def earliest_offsets(self, *tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, self.earliest)

    async def highwaters(self, *tps: TP) -> dict[TP, int]:
        return {tp: self.ends.get(tp, 0) for tp in tps}

    async def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def order_over(consumer: Consumer) -> tuple[PartitionOrder, Clock]:
    clock = Clock()
    order = PartitionOrder(consumer, frozenset({PURCHASES.topic}), lambda: consumer.generation, clock=clock)
    order.install()
    return order, clock


def admit(order: PartitionOrder, offset: int, generation: int = 1) -> bool:
    return asyncio.run(order.admit(PURCHASES, offset, generation))


def handle_in_order(order: PartitionOrder, offsets: range, generation: int = 1) -> None:
    for offset in offsets:
        assert admit(order, offset, generation)
        order.done(PURCHASES, offset)


def test_install_makes_faust_read_offsets_drop_nothing_and_commits_use_the_position() -> None:
    consumer = Consumer(_read_offset={PURCHASES: 40})
    order, _ = order_over(consumer)
    consumer._read_offset[PURCHASES] = 7  # faust's seek writes it; its fetch loop must still read None
    assert consumer._read_offset[PURCHASES] is None
    assert consumer._new_offset == order.commit_position  # type: ignore[attr-defined]


def test_in_order_messages_are_admitted_and_the_commit_position_follows_them() -> None:
    consumer = Consumer(committed={PURCHASES: 5})
    order, _ = order_over(consumer)
    consumer._acked[PURCHASES] = [5, 6, 7, 9]
    consumer._acked_index[PURCHASES] = {5, 6, 7, 9}
    handle_in_order(order, range(5, 8))
    assert order.commit_position(PURCHASES) == 8
    assert consumer._acked[PURCHASES] == [9]  # faust's acks below the position are trimmed
    assert consumer._acked_index[PURCHASES] == {9}


def test_a_partition_without_a_committed_offset_starts_at_its_earliest() -> None:
    consumer = Consumer(committed={PURCHASES: None}, earliest=3)
    order, _ = order_over(consumer)
    assert not admit(order, 10)  # faust skipped 3..9: read them again
    assert consumer.seeks == [(PURCHASES, 3)]
    assert order.commit_position(PURCHASES) == 3


def test_a_message_past_the_position_is_skipped_and_the_partition_sought_back_once_per_interval() -> None:
    consumer = Consumer(committed={PURCHASES: 0})
    order, clock = order_over(consumer)
    handle_in_order(order, range(0, 2))
    assert not admit(order, 122)
    assert not admit(order, 123)  # still buffered from before the seek: no second seek yet
    assert consumer.seeks == [(PURCHASES, 2)]
    clock.now += RESEEK_AFTER_SECONDS
    assert not admit(order, 124)
    assert consumer.seeks == [(PURCHASES, 2), (PURCHASES, 2)]
    handle_in_order(order, range(2, 125))  # the re-read arrives in order
    assert not admit(order, 122)  # a late copy of what is done is skipped
    assert order.commit_position(PURCHASES) == 125


def test_offsets_that_never_come_after_several_seeks_are_accepted_as_a_gap() -> None:
    consumer = Consumer(committed={PURCHASES: 10})
    order, clock = order_over(consumer)
    for _ in range(ACCEPT_GAP_AFTER_SEEKS):
        assert not admit(order, 12)
        clock.now += RESEEK_AFTER_SECONDS
    assert len(consumer.seeks) == ACCEPT_GAP_AFTER_SEEKS
    assert admit(order, 12)
    order.done(PURCHASES, 12)
    assert order.accepted_gaps == 1
    assert order.commit_position(PURCHASES) == 13


def test_a_new_generation_takes_every_position_from_the_committed_offsets_again() -> None:
    consumer = Consumer(committed={PURCHASES: 0})
    order, _ = order_over(consumer)
    handle_in_order(order, range(0, 50))
    consumer.committed[PURCHASES] = 30  # what the broker holds when the next assignment starts
    consumer.generation = 2
    assert order.commit_position(PURCHASES) is None  # nothing handled in the new assignment yet
    assert admit(order, 30, generation=2)
    order.done(PURCHASES, 30)
    assert order.commit_position(PURCHASES) == 31


def test_an_idle_partition_with_waiting_messages_is_sought_back_after_several_checks() -> None:
    consumer = Consumer(committed={PURCHASES: 4}, ends={PURCHASES: 9})
    order, _ = order_over(consumer)
    for _ in range(IDLE_CHECKS_BEFORE_RESEEK):
        assert consumer.seeks == []
        asyncio.run(order.check_idle())
    assert consumer.seeks == [(PURCHASES, 4)]  # the changelog partition is not the agent's


def test_no_idle_check_while_a_rebalance_stops_the_flow() -> None:
    consumer = Consumer(committed={PURCHASES: 4}, ends={PURCHASES: 9}, flow_active=False)
    order, _ = order_over(consumer)
    for _ in range(IDLE_CHECKS_BEFORE_RESEEK + 1):
        asyncio.run(order.check_idle())
    assert consumer.seeks == []


def test_a_partition_that_moves_on_is_not_sought_back() -> None:
    consumer = Consumer(committed={PURCHASES: 0}, ends={PURCHASES: 100})
    order, _ = order_over(consumer)
    for offset in range(IDLE_CHECKS_BEFORE_RESEEK * 2):
        asyncio.run(order.check_idle())
        handle_in_order(order, range(offset, offset + 1))
    assert consumer.seeks == []


def test_each_idle_seek_without_progress_doubles_the_wait_for_the_next() -> None:
    consumer = Consumer(committed={PURCHASES: 4}, ends={PURCHASES: 9})
    order, _ = order_over(consumer)
    checks_at_seek: list[int] = []
    for check in range(1, IDLE_CHECKS_BEFORE_RESEEK * 7 + 1):
        asyncio.run(order.check_idle())
        if len(consumer.seeks) > len(checks_at_seek):
            checks_at_seek.append(check)
    assert checks_at_seek == [IDLE_CHECKS_BEFORE_RESEEK * n for n in (1, 3, 7)]
