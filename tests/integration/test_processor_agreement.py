"""The live processor agrees with `lifecycle replay` on the same events, and dead-letters poison with its origin."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from ports import free_port
from processor_harness import latest_by_key
from replay_agreement import (
    bring_to,
    catalog_of,
    emit_in_order,
    live_notices,
    notice_differences,
    snapshot_differences,
)

import schemas
from lifecycle.replay import replay_events
from lifecycle.rules import Policy
from lifecycle.rules.due import tick_event
from lifecycle.samples import events as ev
from lifecycle.settings import Settings
from streams.harness import WorkerProcess, produce, read_all, route_line, wait_caught_up

pytestmark = pytest.mark.integration

EVENTS = Path(__file__).parent / "data" / "processor_events.jsonl"
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def worker(topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    """One `lifecycle worker` on this test's topics, stopped afterwards."""
    process = WorkerProcess(lifecycle_env, tmp_path / "worker-a", free_port(), tmp_path / "worker-a.log").start()
    yield process
    process.stop()


def test_live_outputs_equal_replay_when_each_serial_keeps_its_order(topics: Settings, worker: WorkerProcess) -> None:
    lines = EVENTS.read_text().splitlines()
    policy = Policy.with_lead_days(topics.reminder_lead_days)
    emit_in_order(topics, lines)
    ticks = bring_to(topics, AS_OF, policy, catalog_of(lines))
    replayed = replay_events(lines, AS_OF, policy)
    notices, conflicting = live_notices(topics)

    assert ticks > 0
    assert snapshot_differences(latest_by_key(topics, "entitlements"), replayed["entitlements"]) == []
    assert notice_differences(notices, replayed["notices"]) == []
    assert conflicting == []
    assert worker.alive


def test_poison_goes_to_the_deadletter_topic_with_reason_and_origin(topics: Settings, worker: WorkerProcess) -> None:
    lines = EVENTS.read_text().splitlines()
    emit_in_order(topics, lines)
    dead = [orjson.loads(record.value) for record in read_all(topics, "deadletter")]
    by_payload = {letter["payload"]: letter for letter in dead}
    replayed = replay_events(lines, AS_OF, Policy.with_lead_days(topics.reminder_lead_days))
    # Replay's clock passes the hold period of the renewal with no purchase; the live one waits on the wall clock.
    refused = [rejected for rejected in replayed["rejected"] if "no purchase for serial" not in rejected["reason"]]

    assert len(dead) == len(refused) == 3
    for rejected in refused:
        letter = by_payload[lines[rejected["line"] - 1].strip()]
        assert letter["reason"] == rejected["reason"]
        assert letter["component"] == "processor"
        assert letter["origin"]["topic"] == topics.topic(route_line(lines[rejected["line"] - 1], 0)[0])
        assert letter["origin"]["offset"] >= 0
    assert {s["serial"] for s in replayed["entitlements"]} == set(latest_by_key(topics, "entitlements"))
    assert [hold["event_id"] for hold in latest_by_key(topics, "holds")["SN-NOPE"]["held"]] == ["rn-unknown"]
    assert worker.alive


def test_a_message_with_a_key_other_than_its_serial_is_dead_lettered(topics: Settings, worker: WorkerProcess) -> None:
    line = EVENTS.read_text().splitlines()[2]
    suffix, _, value = route_line(line, 1)
    produce(topics, [(suffix, b"not-the-serial", value), (suffix, None, b"\xff\xfe binary")])
    wait_caught_up(topics)
    dead = {letter["key"]: letter for letter in (orjson.loads(r.value) for r in read_all(topics, "deadletter"))}

    assert set(dead) == {"not-the-serial", None}
    assert "is not the event's serial" in dead["not-the-serial"]["reason"]
    assert dead[None]["payload"] is None
    assert dead[None]["payload_base64"]
    assert dead[None]["reason"].startswith("not JSON")
    assert latest_by_key(topics, "entitlements") == {}


def test_a_renewal_before_its_purchase_waits_for_it_and_applies_once(topics: Settings, worker: WorkerProcess) -> None:
    """R14a: a renewal that overtakes its purchase (another topic, another system) is held, not dead-lettered."""
    bought = datetime(2025, 3, 3, 10, tzinfo=UTC)
    purchase = ev.purchase("rd-p", bought, "SF-RD-1", "acc-rd", "backup-advanced", "12")
    renewal = ev.renewal("rd-n", bought + timedelta(days=300), "SF-RD-1", "acc-rd", "ro-rd", 12, "online_store")
    lines = [orjson.dumps(event).decode() for event in (purchase, renewal)]
    produce(topics, [route_line(lines[1], 1)])  # the renewal overtakes its purchase
    wait_caught_up(topics)
    assert [hold["event_id"] for hold in latest_by_key(topics, "holds")["SF-RD-1"]["held"]] == ["rd-n"]
    produce(topics, [route_line(lines[0], 0)])
    wait_caught_up(topics)

    live, replayed = _brought_to_as_of(topics, lines)
    notices, _ = live_notices(topics)
    assert snapshot_differences(live, replayed["entitlements"]) == []
    assert notice_differences(notices, replayed["notices"]) == []
    assert [n["kind"] for n in notices.values()].count("renewal_confirmed") == 1
    assert live["SF-RD-1"]["support"]["expires_on"] == "2027-03-03"
    assert latest_by_key(topics, "holds")["SF-RD-1"]["held"] == []
    assert read_all(topics, "deadletter") == []


def test_a_hold_that_runs_out_is_dead_lettered_and_waits_again_when_sent_back(
    topics: Settings, worker: WorkerProcess, lifecycle_env: dict[str, str]
) -> None:
    """R14a: no purchase within the hold period: dead-lettered on the scheduler's tick; `redrive` sends it back."""
    renewal = ev.renewal("gh-n", datetime(2025, 6, 1, tzinfo=UTC), "SF-GHOST", "acc-gh", "ro-gh", 12, "sales")
    line = orjson.dumps(renewal).decode()
    produce(topics, [route_line(line, 1)])
    wait_caught_up(topics)
    before_end = tick_event("SF-GHOST", "hold_expiry", datetime.now(UTC).date() + timedelta(days=29))
    past_end = tick_event("SF-GHOST", "hold_expiry", datetime.now(UTC).date() + timedelta(days=31))
    produce(topics, [("ticks", b"SF-GHOST", schemas.encode(before_end))])
    wait_caught_up(topics)
    assert read_all(topics, "deadletter") == []
    produce(topics, [("ticks", b"SF-GHOST", schemas.encode(past_end))])
    wait_caught_up(topics)

    [letter] = [orjson.loads(record.value) for record in read_all(topics, "deadletter")]
    assert letter["reason"] == f"no purchase for serial SF-GHOST after {topics.hold_days} days"
    assert letter["origin"]["topic"] == topics.topic("renewals")
    assert orjson.loads(letter["payload"]) == renewal
    assert latest_by_key(topics, "holds")["SF-GHOST"]["held"] == []

    command = [str(Path(sys.executable).with_name("lifecycle")), "redrive", "--reason", "no purchase for serial"]
    sent = subprocess.run(command, env=lifecycle_env, capture_output=True, text=True, timeout=120, check=True)
    assert "sent back 1" in sent.stdout
    wait_caught_up(topics)
    assert [hold["event_id"] for hold in latest_by_key(topics, "holds")["SF-GHOST"]["held"]] == ["gh-n"]


def test_a_source_renewal_handled_after_its_upgrade_follows_it_to_the_new_serial(
    topics: Settings, worker: WorkerProcess
) -> None:
    """R9/R14: the renewal (renewals topic) dated before the upgrade (upgrades topic) but handled after it."""
    bought = datetime(2022, 1, 7, 9, tzinfo=UTC)
    purchase = ev.purchase("lu-p", bought, "SF-LU-1", "acc-lu", "backup-advanced", "11.5")
    renewal = ev.renewal("lu-n", datetime(2022, 12, 1, tzinfo=UTC), "SF-LU-1", "acc-lu", "ro-lu", 12, "online_store")
    upgrade = ev.upgrade(
        "lu-u", datetime(2023, 1, 2, tzinfo=UTC), "SF-LU-1", "acc-lu", "SF-LU-2", "backup-advanced", "12"
    )
    _one_at_a_time(topics, [purchase, upgrade, renewal])  # the upgrade is handled before the renewal

    live, replayed = _brought_to_as_of(topics, [orjson.dumps(event).decode() for event in (purchase, renewal, upgrade)])
    assert snapshot_differences(live, replayed["entitlements"]) == []
    assert live["SF-LU-2"]["support"]["expires_on"] == "2024-01-07"  # the renewed year, carried over
    assert read_all(topics, "deadletter") == []


def test_a_grant_taken_back_by_a_late_registration_reaches_the_new_serial(
    topics: Settings, worker: WorkerProcess
) -> None:
    """R9/R14: the first registration of a boxed source comes after its upgrade was granted: its program had ended."""
    purchase = ev.purchase(
        "tb-p", datetime(2024, 1, 1, tzinfo=UTC), "SF-TB-1", "acc-tb", "backup-advanced", "12.5", "retail_box"
    )
    later = ev.registration("tb-r2", datetime(2025, 1, 5, tzinfo=UTC), "SF-TB-1", "acc-tb")
    upgrade = ev.upgrade(
        "tb-u", datetime(2025, 6, 1, tzinfo=UTC), "SF-TB-1", "acc-tb", "SF-TB-2", "backup-advanced", "15"
    )
    first = ev.registration("tb-r1", datetime(2024, 1, 10, tzinfo=UTC), "SF-TB-1", "acc-tb")
    arrived = _one_at_a_time(topics, [purchase, later, upgrade])
    assert latest_by_key(topics, "entitlements")["SF-TB-2"]["status"] == "active"  # granted, for now
    arrived += _one_at_a_time(topics, [first])

    live, replayed = _brought_to_as_of(topics, arrived)
    assert snapshot_differences(live, replayed["entitlements"]) == []
    assert (live["SF-TB-1"]["status"], live["SF-TB-1"]["upgraded_to"]) == ("expired", None)
    assert (live["SF-TB-2"]["status"], live["SF-TB-2"]["support"]["program"]) == ("no_support", "none")
    assert read_all(topics, "deadletter") == []


def test_an_upgrade_refused_on_arrival_goes_on_when_the_registration_before_it_comes_late(
    topics: Settings, worker: WorkerProcess
) -> None:
    """R1/R14: a box registered to whoever registers it first; that registration comes after the upgrade it allows."""
    purchase = ev.purchase(
        "rk-p", datetime(2025, 1, 1, tzinfo=UTC), "SF-RK-1", "acc-shop", "backup-advanced", "12.5", "retail_box"
    )
    second = ev.registration("rk-r2", datetime(2025, 2, 1, tzinfo=UTC), "SF-RK-1", "acc-a")
    upgrade = ev.upgrade(
        "rk-u", datetime(2025, 3, 1, tzinfo=UTC), "SF-RK-1", "acc-b", "SF-RK-2", "backup-advanced", "15"
    )
    first = ev.registration("rk-r1", datetime(2025, 1, 10, tzinfo=UTC), "SF-RK-1", "acc-b")
    live, replayed = _brought_to_as_of(topics, _one_at_a_time(topics, [purchase, second, upgrade, first]))
    assert snapshot_differences(live, replayed["entitlements"]) == []
    assert (live["SF-RK-1"]["status"], live["SF-RK-2"]["account_id"]) == ("superseded", "acc-b")
    letters = {
        orjson.loads(letter["payload"])["event_id"]: letter
        for letter in (orjson.loads(record.value) for record in read_all(topics, "deadletter"))
    }
    assert sorted(letters) == ["rk-r2", "rk-u"]  # the upgrade on arrival, the later registration once refolded
    assert {letter["reason"] for letter in letters.values()} == {"serial SF-RK-1 is registered to another account"}


def test_a_release_read_after_the_events_ends_as_replay_does(topics: Settings, worker: WorkerProcess) -> None:
    """R10/R14: a boxed version bought after its support ended, the release that ended it read only afterwards."""
    serial = "SF-LATE-REL"
    purchase = ev.purchase(
        "lr-p", datetime(2025, 11, 30, tzinfo=UTC), serial, "acc-lr", "true-image", "2023", "retail_box", "perpetual"
    )
    registration = ev.registration("lr-r", datetime(2025, 12, 9, tzinfo=UTC), serial, "acc-lr")
    releases = [
        ev.release(f"lr-rel-{version}", datetime(year, 9, 1, tzinfo=UTC), "true-image", version)
        for version, year in (("2023", 2022), ("2025", 2024), ("2027", 2025))  # 2023 is out from 2025-09-01
    ]
    events = [orjson.dumps(event).decode() for event in (purchase, registration)]
    produce(topics, [route_line(line, n) for n, line in enumerate(events)])
    wait_caught_up(topics)
    assert latest_by_key(topics, "entitlements")[serial]["version_supported"] is True  # as far as it knew
    announced = [orjson.dumps(event).decode() for event in releases]
    produce(topics, [route_line(line, n) for n, line in enumerate(announced)])

    policy = Policy.with_lead_days(topics.reminder_lead_days)
    in_order = [*announced, *events]
    replayed = replay_events(in_order, AS_OF, policy)["entitlements"]
    deadline = time.monotonic() + 60
    # The worker reads releases on its own consumer: the scheduler's ticks may come before it has them.
    while (differences := snapshot_differences(latest_by_key(topics, "entitlements"), replayed)) and (
        time.monotonic() < deadline
    ):
        bring_to(topics, AS_OF, policy, catalog_of(in_order))  # what the scheduler sends, once it knows the releases
    assert differences == []
    live = latest_by_key(topics, "entitlements")[serial]
    assert (live["version_supported"], live["last_event_id"]) == (False, "lr-r")
    assert read_all(topics, "deadletter") == []


def _one_at_a_time(topics: Settings, events: list[dict[str, Any]]) -> list[str]:
    """Send the events in this order, each handled before the next is sent; their lines."""
    lines = [orjson.dumps(event).decode() for event in events]
    for line in lines:
        produce(topics, [route_line(line, 1)])
        wait_caught_up(topics)
    return lines


def _brought_to_as_of(topics: Settings, lines: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Time brought to AS_OF as the scheduler brings it: the live snapshots, and replay's document of the lines."""
    policy = Policy.with_lead_days(topics.reminder_lead_days)
    bring_to(topics, AS_OF, policy, catalog_of(lines))
    return latest_by_key(topics, "entitlements"), replay_events(lines, AS_OF, policy)
