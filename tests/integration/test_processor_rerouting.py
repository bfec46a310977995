"""Producers with another partitioner: kcat's CRC32 placements are sent on to murmur2's, applied once, counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaProducer
from kcat import kcat_produce
from ports import free_port
from processor_harness import latest_by_key
from replay_agreement import bring_to, catalog_of, snapshot_differences
from rerouting_journeys import (
    KCAT_SOURCE,
    Waves,
    aiokafka_partition,
    crc32_partition,
    events_by_outcome,
    journeys,
    lines_of,
    scrape,
    send_waves,
    wait_members,
)

from lifecycle.dashboard.rerouted import rerouted_in
from lifecycle.kafka_config import kafka_python_config
from lifecycle.partitioning import murmur2_partition
from lifecycle.replay import replay_events
from lifecycle.rules import Policy
from lifecycle.settings import Settings
from lifecycle.topics import PARTITIONS
from streams.harness import WorkerProcess, read_all, wait_caught_up
from streams.placement import REROUTED_FROM, rerouted_from

pytestmark = pytest.mark.integration

SERIALS = 200
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


def _workers(env: dict[str, str], folder: Path, count: int) -> list[WorkerProcess]:
    return [
        WorkerProcess(env, folder / f"w{n}", free_port(), folder / f"w{n}.log", metrics_port=free_port() - 1).start()
        for n in range(count)
    ]


@pytest.fixture
def workers(
    request: pytest.FixtureRequest, topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path
) -> Iterator[list[WorkerProcess]]:
    """`request.param` workers on this test's topics, each serving /metrics; stopped afterwards."""
    started = _workers(lifecycle_env, tmp_path, request.param)
    yield started
    for worker in started:
        worker.stop()


def _run_journeys(
    topics: Settings, env: dict[str, str], workers: list[WorkerProcess], folder: Path, purchases_last: bool
) -> tuple[Waves, int, dict[str, Any]]:
    """Send the journeys (purchases by kcat), bring time to AS_OF; the waves, the misplaced count, replay's result."""
    wait_members(topics, len(workers))
    waves = journeys(SERIALS)
    expected = sum(crc32_partition(key) != aiokafka_partition(key) for key in (e["serial"].encode() for e in waves[0]))
    send_waves(topics, env, waves, folder, purchases_last)
    lines = lines_of(waves)  # in order: each purchase first
    policy = Policy.with_lead_days(topics.reminder_lead_days)
    bring_to(topics, AS_OF, policy, catalog_of(lines))
    return waves, expected, replay_events(lines, AS_OF, policy)


def _origin(record: Any) -> str:
    return f"{record.topic}/{record.partition}/{record.offset}"


@pytest.mark.parametrize("workers", [1, 2], indirect=True, ids=["one-worker", "two-workers"])
def test_kcat_purchases_are_rerouted_and_every_serial_equals_replay(
    topics: Settings, lifecycle_env: dict[str, str], workers: list[WorkerProcess], tmp_path: Path
) -> None:
    waves, expected, replayed = _run_journeys(topics, lifecycle_env, workers, tmp_path, purchases_last=False)
    keys = [event["serial"].encode() for event in waves[0]]

    purchases = read_all(topics, "purchases")
    kcat = [r for r in purchases if rerouted_from(r.headers) is None and orjson.loads(r.value)["source"] == KCAT_SOURCE]
    copies = [r for r in purchases if rerouted_from(r.headers) is not None]
    assert {r.key: r.partition for r in kcat} == {key: crc32_partition(key) for key in keys}  # kcat's CRC32
    misplaced = {_origin(r): r for r in kcat if r.partition != aiokafka_partition(r.key)}
    assert len(misplaced) == expected > SERIALS // 2
    origins = Counter(rerouted_from(r.headers) or "" for r in copies)
    assert set(origins) == set(misplaced)  # each misplaced one is sent on
    # One worker sends each on once. With two, a rebalance may hand a partition over before the batch that sent a
    # copy was committed, and the new owner sends it again (at least once): the same event, so it changes nothing.
    again = sum(origins.values()) - len(misplaced)
    if len(workers) == 1:
        assert again == 0
    for copy in copies:
        original = misplaced[rerouted_from(copy.headers) or ""]
        assert (copy.key, copy.value, copy.partition) == (original.key, original.value, aiokafka_partition(copy.key))
        assert copy.headers == [(REROUTED_FROM, _origin(original).encode())]
        assert copy.timestamp == original.timestamp

    scraped = [scrape(worker.metrics_port + 1) for worker in workers]
    counted: Counter[tuple[str, str]] = Counter()
    for text in scraped:
        counted.update({(row["topic"], row["source"]): row["count"] for row in rerouted_in(text)})
    assert counted == {(topics.topic("purchases"), KCAT_SOURCE): expected + again}
    outcomes: Counter[str] = Counter()
    for text in scraped:
        outcomes.update(events_by_outcome(text))
    assert outcomes["rerouted"] == expected + again
    if len(workers) == 1:  # with two, what a rebalance hands over may be handled again, as a duplicate
        assert outcomes["duplicate"] == 0  # no purchase was applied twice (on its CRC32 and its murmur2 partition)

    assert read_all(topics, "deadletter") == []
    assert replayed["rejected"] == []
    assert snapshot_differences(latest_by_key(topics, "entitlements"), replayed["entitlements"]) == []
    firsts = [r for r in read_all(topics, "entitlements") if orjson.loads(r.value)["revision"] == 1]
    # Each serial's state began once, on one partition (not on its CRC32 and its murmur2 one). With two workers a
    # rebalance may publish revision 1 again (at least once), and then it is the very same record.
    began = {key: {(r.partition, r.value) for r in firsts if r.key == key} for key in keys}
    assert {key: len(records) for key, records in began.items()} == dict.fromkeys(keys, 1)
    if len(workers) == 1:
        assert Counter(r.key for r in firsts) == Counter(keys)
    assert all(worker.alive for worker in workers)


def test_kcat_murmur2_random_places_keys_where_the_processor_expects_them(topics: Settings) -> None:
    keys = [f"SF-K-{n}".encode() for n in range(500)] + ["сериал-ü".encode(), b"a", b"x" * 300]
    kcat_produce(topics, "registrations", [(key, b"{}") for key in keys], "-X", "topic.partitioner=murmur2_random")
    kcat_produce(topics, "renewals", [(key, b"{}") for key in keys])

    murmur2 = {r.key: r.partition for r in read_all(topics, "registrations")}
    default = {r.key: r.partition for r in read_all(topics, "renewals")}
    assert murmur2 == {key: murmur2_partition(key, PARTITIONS) for key in keys}
    assert murmur2 == {key: aiokafka_partition(key) for key in keys}
    assert default == {key: crc32_partition(key) for key in keys}
    assert sum(murmur2[key] != default[key] for key in keys) > len(keys) // 2


@pytest.mark.parametrize("workers", [1], indirect=True, ids=["one-worker"])
def test_a_rerouted_copy_found_off_its_partition_again_is_dead_lettered_not_sent_round(
    topics: Settings, workers: list[WorkerProcess]
) -> None:
    event = journeys(1)[0][0]
    key, home = event["serial"].encode(), aiokafka_partition(event["serial"].encode())
    away = (home + 1) % PARTITIONS
    origin = (REROUTED_FROM, f"{topics.topic('purchases')}/{home}/0".encode())  # as a worker on other counts sent it
    producer = KafkaProducer(acks="all", **kafka_python_config(topics))
    try:
        producer.send(topics.topic("purchases"), key=key, value=orjson.dumps(event), partition=away, headers=[origin])
        producer.flush(timeout=20)
    finally:
        producer.close()
    wait_caught_up(topics)

    [letter] = [orjson.loads(record.value) for record in read_all(topics, "deadletter")]
    assert letter["reason"].startswith(
        f"misplaced after rerouting: on partition {away}, but murmur2 puts the key on {home}"
    )
    assert letter["origin"] == {"topic": topics.topic("purchases"), "partition": away, "offset": 0}
    assert [r.partition for r in read_all(topics, "purchases")] == [away]  # no copy sent round again
    assert latest_by_key(topics, "entitlements") == {}


@pytest.mark.parametrize("workers", [1, 2], indirect=True, ids=["one-worker", "two-workers"])
def test_everything_before_its_kcat_purchase_waits_for_it_and_every_serial_equals_replay(
    topics: Settings, lifecycle_env: dict[str, str], workers: list[WorkerProcess], tmp_path: Path
) -> None:
    """R14a with any producer: registrations, renewals and PPI from `lifecycle emit` first, purchases from kcat."""
    waves, expected, replayed = _run_journeys(topics, lifecycle_env, workers, tmp_path, purchases_last=True)

    holds = [orjson.loads(r.value) for r in read_all(topics, "holds")]
    ever_held = {item["event_id"] for document in holds for item in document["held"]}
    waiting = {e["event_id"] for wave in waves[1:] for e in wave if e["type"] in ("renewal", "purchase")}
    assert ever_held == waiting  # every renewal and PPI waited for its purchase
    assert all(not document["held"] for document in latest_by_key(topics, "holds").values())  # and none waits now
    rerouted = int(sum(events_by_outcome(scrape(worker.metrics_port + 1))["rerouted"] for worker in workers))
    assert rerouted == expected
    assert read_all(topics, "deadletter") == []
    assert snapshot_differences(latest_by_key(topics, "entitlements"), replayed["entitlements"]) == []
    print(f"held {len(ever_held)}, applied after a hold {len(waiting)}, rerouted {rerouted} of {len(waves[0])}")
