"""The processor under faults: kill -9 and restart mid-stream, a second worker joining and one leaving.

Each run ends with the same checks: after the scheduler's ticks up to AS_OF, the latest snapshots equal
`lifecycle replay`'s, every notice replay sends was sent, and no notice_id was sent with two contents.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from ports import free_port
from replay_agreement import assert_agrees_with_replay, ordered_waves

from lifecycle.samples import events as ev
from lifecycle.settings import Settings
from streams.harness import Raw, WorkerProcess, produce, read_all, wait_caught_up

pytestmark = pytest.mark.faults

SERIALS = 1200
AS_OF = datetime(2026, 9, 1, tzinfo=UTC)
START = datetime(2025, 1, 6, 9, tzinfo=UTC)
KINDS = ("business", "retail", "home-sub", "home-perp", "oem")


def _purchase(n: int, at: datetime, serial: str, kind: str) -> dict[str, object]:
    account, event_id = f"acf-{n % 400:04d}", f"f-p{n}"
    if kind == "business":
        return ev.purchase(event_id, at, serial, account, "backup-advanced", "12")
    if kind == "retail":
        return ev.purchase(event_id, at, serial, account, "backup-vmware", "12", channel="retail_box")
    if kind == "home-sub":
        return ev.purchase(
            event_id, at, serial, account, "true-image", "2024", license_type="subscription", term_months=12
        )
    if kind == "home-perp":
        return ev.purchase(event_id, at, serial, account, "true-image", "2024", channel="partner")
    return ev.purchase(event_id, at, serial, account, "discwizard", "5")


def phased_stream(serials: int) -> list[str]:
    """Purchases, then registrations, renewals, PPI and upgrades, each phase later in time and on one topic."""

    def at(phase: int, n: int) -> datetime:
        return START + timedelta(days=30 * phase, minutes=n)

    def acc(n: int) -> str:
        return f"acf-{n % 400:04d}"

    kinds = [(n, f"SF-{n:05d}", KINDS[n % len(KINDS)]) for n in range(serials)]
    events: list[dict[str, object]] = [ev.release("rel-ti-2024", START - timedelta(days=300), "true-image", "2024")]
    events += [_purchase(n, at(0, n), serial, kind) for n, serial, kind in kinds]
    events += [ev.registration(f"f-r{n}", at(1, n), s, acc(n)) for n, s, k in kinds if k == "retail"]
    events += [
        ev.renewal(f"f-n{n}", at(2, n), s, acc(n), f"ro-{n}", 12, "online_store")
        for n, s, k in kinds
        if k in ("business", "home-sub") and n % 3 == 0
    ]
    events += [ev.ppi(f"f-i{n}", at(3, n), s, acc(n)) for n, s, k in kinds if k == "home-perp" and n % 2 == 0]
    events += [
        ev.upgrade(f"f-u{n}", at(4, n), s, acc(n), f"{s}-U", "backup-advanced", "12.5")
        for n, s, k in kinds
        if k == "business" and n % 4 == 0
    ]
    events.append(ev.release("rel-ti-2025", at(5, 0), "true-image", "2025"))
    events.append(ev.release("rel-ti-2026", at(6, 0), "true-image", "2026"))
    return [orjson.dumps(event).decode() for event in events]


@pytest.fixture
def workers(topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[dict[str, WorkerProcess]]:
    """Two worker definitions (a, b) with their own data folders and ports; whatever still runs is stopped."""
    defined = {
        name: WorkerProcess(lifecycle_env, tmp_path / f"worker-{name}", free_port(), tmp_path / f"worker-{name}.log")
        for name in ("a", "b")
    }
    yield defined
    for process in defined.values():
        process.stop()


def wait_for_snapshots(settings: Settings, at_least: int, timeout: float = 120.0) -> None:
    """Poll the entitlements topic until it holds `at_least` snapshots."""
    deadline = time.monotonic() + timeout
    while len(read_all(settings, "entitlements")) < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} snapshots after {timeout}s"
        time.sleep(0.2)


def first_wave_then_rest(lines: list[str]) -> tuple[list[Raw], list[list[Raw]]]:
    waves = ordered_waves(lines)
    assert len(waves) >= 3
    return waves[0], waves[1:]


def test_kill_9_mid_stream_and_restart_loses_nothing(topics: Settings, workers: dict[str, WorkerProcess]) -> None:
    lines = phased_stream(SERIALS)
    first, rest = first_wave_then_rest(lines)
    worker = workers["a"].start()
    produce(topics, first)
    wait_for_snapshots(topics, SERIALS // 5)
    worker.kill()
    assert not worker.alive
    worker.start()
    wait_caught_up(topics, timeout=240)
    for number, wave in enumerate(rest):
        produce(topics, wave)
        if number == 0:  # once more in the middle of a later wave
            worker.kill()
            worker.start()
        wait_caught_up(topics, timeout=240)
    assert_agrees_with_replay(topics, lines, AS_OF)
    assert worker.alive


def test_a_worker_joining_and_one_leaving_mid_stream_loses_nothing(
    topics: Settings, workers: dict[str, WorkerProcess]
) -> None:
    lines = phased_stream(SERIALS)
    first, rest = first_wave_then_rest(lines)
    workers["a"].start()
    produce(topics, first)
    wait_for_snapshots(topics, SERIALS // 5)
    workers["b"].start()  # rebalance while the first wave is processed
    wait_caught_up(topics, timeout=240)
    for number, wave in enumerate(rest):
        produce(topics, wave)
        if number == 0:
            workers["a"].stop()  # its partitions move to b mid-wave
        wait_caught_up(topics, timeout=240)
    assert_agrees_with_replay(topics, lines, AS_OF)
    assert workers["b"].alive
    assert not workers["a"].alive
