"""The poll-apply-commit loop: commits follow effects, outages pause and retry, nothing is skipped."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from kafka import TopicPartition
from scripted_consumer import ScriptedConsumer as FakeConsumer
from store_samples import FakeRecord

from consumers.kafka_loop import Backoff, run_batches

pytestmark = pytest.mark.unit

TP = TopicPartition("p.entitlements", 0)
FAST = Backoff(initial=0.001, maximum=0.001)


class DatabaseDownError(Exception):
    pass


def records(*offsets: int) -> list[FakeRecord]:
    return [FakeRecord(TP.topic, TP.partition, offset) for offset in offsets]


def test_offsets_are_committed_after_each_applied_batch() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([records(0, 1), records(2)], stop)
    applied: list[list[int]] = []
    run_batches(
        consumer, lambda batch: applied.append([r.offset for r in batch]), stop=stop, transient=(), backoff=FAST
    )
    assert applied == [[0, 1], [2]]
    assert consumer.commits == [{TP: 2}, {TP: 3}]


def test_an_outage_pauses_polls_and_retries_the_same_batch_before_committing() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([records(0, 1)], stop)
    attempts: list[list[int]] = []

    def apply(batch: Sequence[FakeRecord]) -> None:
        attempts.append([r.offset for r in batch])
        if len(attempts) < 4:
            raise DatabaseDownError("connection refused")

    run_batches(consumer, apply, stop=stop, transient=(DatabaseDownError,), backoff=FAST)
    assert attempts == [[0, 1]] * 4
    assert consumer.paused_polls == 3  # kept polling (paused) while waiting: the group keeps the member
    assert consumer.paused_set == set()
    assert consumer.commits == [{TP: 2}]


def test_records_of_a_partition_revoked_during_an_outage_are_left_to_its_new_owner() -> None:
    stop = threading.Event()
    other = TopicPartition(TP.topic, 1)
    moved = [FakeRecord(other.topic, other.partition, offset) for offset in (7, 8)]
    consumer = FakeConsumer([records(0, 1) + moved], stop, assigned={TP, other}, revoke_on_paused_poll={other})
    attempts: list[list[tuple[int, int]]] = []

    def apply(batch: Sequence[FakeRecord]) -> None:
        attempts.append([(r.partition, r.offset) for r in batch])
        if len(attempts) < 2:
            raise DatabaseDownError("connection refused")

    run_batches(consumer, apply, stop=stop, transient=(DatabaseDownError,), backoff=FAST, drop_revoked=True)
    assert attempts == [[(0, 0), (0, 1), (1, 7), (1, 8)], [(0, 0), (0, 1)]]
    assert consumer.commits == [{TP: 2}]


def test_a_batch_whose_partitions_all_moved_away_is_not_applied_again() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([records(0, 1), records(2)], stop, revoke_on_paused_poll={TP})
    attempts: list[list[int]] = []

    def apply(batch: Sequence[FakeRecord]) -> None:
        attempts.append([r.offset for r in batch])
        if len(attempts) == 1:
            raise DatabaseDownError("connection refused")

    run_batches(consumer, apply, stop=stop, transient=(DatabaseDownError,), backoff=FAST, drop_revoked=True)
    assert attempts == [[0, 1], [2]]  # the next poll's records are this member's again (the fake hands them out)
    assert consumer.commits == []  # nothing of a partition no longer assigned is committed


def test_stopping_during_an_outage_commits_nothing() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([records(0)], stop)

    def apply(batch: Sequence[FakeRecord]) -> None:
        stop.set()
        raise DatabaseDownError("still down")

    run_batches(consumer, apply, stop=stop, transient=(DatabaseDownError,), backoff=FAST)
    assert consumer.commits == []


def test_an_unexpected_error_stops_the_loop_without_committing() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([records(0)], stop)

    def apply(batch: Sequence[FakeRecord]) -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        run_batches(consumer, apply, stop=stop, transient=(DatabaseDownError,), backoff=FAST)
    assert consumer.commits == []


def test_backoff_doubles_up_to_its_maximum() -> None:
    delays = Backoff(initial=0.5, maximum=3.0).delays()
    assert [next(delays) for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_the_subscribed_topics_partitions_are_learnt_before_the_first_poll() -> None:
    stop = threading.Event()
    consumer = FakeConsumer([records(0), records(1)], stop, topics={"p.releases", "p.entitlements"})
    run_batches(consumer, lambda batch: None, stop=stop, transient=(), backoff=FAST)
    assert consumer.calls == ["partitions p.entitlements", "partitions p.releases", "poll", "poll"]
