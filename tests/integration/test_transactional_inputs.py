"""Inputs written in Kafka transactions: the worker applies the committed and plain ones, never the aborted ones.

A transactional producer leaves a control record (commit or abort marker) after each transaction in every
partition it wrote to: an offset that holds no record and is never delivered. An aborted transaction's records
stay in the log too. The worker must pass over the markers without stalling (its group lag reaches 0, its health
says it is processing, no partition is reported stuck) and must not apply what was aborted.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from health_probe import get_health
from kafka import KafkaConsumer, TopicPartition
from ports import free_port
from replay_agreement import assert_agrees_with_replay

from lifecycle.kafka_config import kafka_python_config
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.samples import events as ev
from lifecycle.settings import Settings
from streams.app import INPUTS
from streams.harness import WorkerProcess, read_all, route_line, wait_caught_up
from streams.kafka_clients import aiokafka_config

pytestmark = pytest.mark.integration

Mode = Literal["plain", "committed", "aborted"]
SERIALS = 36
CHUNK = 2  # events per write: a transaction holds this many
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
START = datetime(2025, 2, 3, 9, tzinfo=UTC)
CATCH_UP_SECONDS = 90.0  # lag 0 within this after a wave; the idle check passes a trailing marker in 5-10 s


def in_modes(events: Sequence[dict[str, Any]], modes: Sequence[Mode]) -> list[tuple[Mode, str]]:
    """The events as lines, written as the modes say in turn, CHUNK events each."""
    return [(modes[(i // CHUNK) % len(modes)], orjson.dumps(event).decode()) for i, event in enumerate(events)]


def purchases(modes: Sequence[Mode]) -> list[tuple[Mode, str]]:
    """One purchase per serial."""
    at = [START + timedelta(minutes=n) for n in range(SERIALS)]
    return in_modes(
        [ev.purchase(f"tx-p{n}", at[n], f"SF-TX-{n}", f"acc-{n}", "backup-advanced", "12") for n in range(SERIALS)],
        modes,
    )


def renewals(serials: Sequence[int], modes: Sequence[Mode]) -> list[tuple[Mode, str]]:
    """A renewal for each of `serials` (whose purchases were applied)."""
    at = START + timedelta(days=300)
    return in_modes([ev.renewal(f"tx-n{n}", at, f"SF-TX-{n}", f"acc-{n}", f"ro-tx-{n}") for n in serials], modes)


async def _write(settings: Settings, wave: Sequence[tuple[Mode, str]], transactional_id: str) -> int:
    """Write the wave in order, plain chunks plainly, the others each in a transaction; return the transactions."""
    config = aiokafka_config(settings)
    plain = AIOKafkaProducer(acks="all", **config)
    transactional = AIOKafkaProducer(transactional_id=transactional_id, enable_idempotence=True, **config)
    await plain.start()
    await transactional.start()
    transactions = 0
    try:
        for start in range(0, len(wave), CHUNK):
            chunk = wave[start : start + CHUNK]
            mode = chunk[0][0]
            records = [route_line(line, start + i) for i, (_, line) in enumerate(chunk)]
            if mode == "plain":
                for suffix, key, value in records:
                    await plain.send_and_wait(settings.topic(suffix), value, key=key)
                continue
            await transactional.begin_transaction()
            for suffix, key, value in records:  # on the broker before the transaction ends, aborted or not
                await transactional.send_and_wait(settings.topic(suffix), value, key=key)
            if mode == "committed":
                await transactional.commit_transaction()
            else:
                await transactional.abort_transaction()
            transactions += 1
    finally:
        await transactional.stop()
        await plain.stop()
    return transactions


def _offsets(settings: Settings) -> tuple[int, int]:
    """(records, offsets holding no record: the control records) of the input topics, aborted records included."""
    consumer = KafkaConsumer(**kafka_python_config(settings))  # read_uncommitted: its ends are the high watermarks
    try:
        partitions = [TopicPartition(settings.topic(s.suffix), p) for s in INPUTS for p in range(s.partitions)]
        ends = int(sum(consumer.end_offsets(partitions).values()))
    finally:
        consumer.close()
    records = sum(len(read_all(settings, spec.suffix)) for spec in INPUTS)  # read_uncommitted too
    return records, ends - records


def _rereads(metrics_url: str) -> dict[str, float]:
    """`lifecycle_rereads_total` of the worker, by cause."""
    with urllib.request.urlopen(metrics_url, timeout=3) as response:
        text = response.read().decode()
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith('lifecycle_rereads_total{cause="'):
            labels, value = line.rsplit(" ", 1)
            counts[labels.split('"')[1]] = float(value)
    return counts


@pytest.fixture
def worker(topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    """One `lifecycle worker` on this test's topics, its /healthz and /metrics on `worker.metrics_port + 1`."""
    port = free_port()
    metrics_base = port - COMPONENT_PORT_OFFSETS["worker"]
    process = WorkerProcess(lifecycle_env, tmp_path / "data", free_port(), tmp_path / "worker.log", metrics_base)
    yield process.start()
    process.stop()


def _feed(settings: Settings, waves: Sequence[Sequence[tuple[Mode, str]]]) -> tuple[int, list[float]]:
    """Write each wave and wait until the worker's group committed all of it; (transactions, seconds per wave)."""
    transactions, seconds = 0, []
    for wave in waves:
        transactions += asyncio.run(_write(settings, wave, f"{settings.topic_prefix}-tx"))
        started = time.monotonic()
        wait_caught_up(settings, timeout=CATCH_UP_SECONDS)
        seconds.append(round(time.monotonic() - started, 1))
    return transactions, seconds


def _assert_applied_exactly(
    settings: Settings, worker: WorkerProcess, waves: Sequence[Sequence[tuple[Mode, str]]]
) -> None:
    """The worker keeps up, reports no stuck gap, and its outputs equal replay of the plain and committed events."""
    transactions, seconds = _feed(settings, waves)
    written = [entry for wave in waves for entry in wave]
    kept = [line for mode, line in written if mode != "aborted"]
    aborted = len(written) - len(kept)
    records, markers = _offsets(settings)
    base = f"http://127.0.0.1:{worker.metrics_port + COMPONENT_PORT_OFFSETS['worker']}"
    code, health = get_health(f"{base}/healthz")
    rereads = _rereads(f"{base}/metrics")
    print(
        f"events {len(written)}, aborted {aborted}, transactions {transactions}, markers {markers}, "
        f"catch-up seconds per wave {seconds}, health {code} {health.get('status')}, rereads {rereads}"
    )

    assert transactions > 0
    assert records == len(written)  # aborted records stay in the partitions
    assert markers >= transactions  # every transaction left at least one control record in the input partitions
    assert (code, health["status"]) == (200, "live"), health
    assert rereads.get("stuck", 0.0) == 0.0
    assert rereads.get("absent", 0.0) >= 1.0  # the markers were passed over as absent, not skipped unseen

    assert_agrees_with_replay(settings, kept, AS_OF)
    assert worker.alive


def test_committed_transactions_and_plain_writes_are_applied_and_their_markers_passed(
    topics: Settings, worker: WorkerProcess
) -> None:
    modes: tuple[Mode, ...] = ("plain", "committed")
    _assert_applied_exactly(topics, worker, [purchases(modes), renewals(range(0, SERIALS, 2), modes)])


def test_aborted_transactions_are_never_applied(topics: Settings, worker: WorkerProcess) -> None:
    modes: tuple[Mode, ...] = ("plain", "committed", "aborted")
    bought = purchases(modes)
    applied = [n for n, (mode, _) in enumerate(bought) if mode != "aborted"]
    _assert_applied_exactly(topics, worker, [bought, renewals(applied, modes)])
