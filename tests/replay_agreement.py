"""Bring the live processor's time to an instant, as the scheduler would, and compare its outputs with replay's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from processor_harness import latest_by_key

import schemas
from lifecycle.replay import replay_events
from lifecycle.rules import Catalog, Policy, catalog_from_releases, due_ticks, release_from_event
from lifecycle.settings import Settings
from streams.harness import Raw, produce, read_all, route_line, wait_caught_up

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def catalog_of(lines: Iterable[str]) -> Catalog:
    """The catalog the release events among `lines` make."""
    releases = []
    for line in lines:
        try:
            event = schemas.decode_event(line)
        except schemas.InvalidMessage:
            continue
        if event["type"] == "release":
            releases.append(release_from_event(event))
    return catalog_from_releases(releases)


def ordered_waves(lines: Sequence[str]) -> list[list[Raw]]:
    """Split input into waves so that no serial has records on two topics within one wave.

    Kafka keeps order within a partition of one topic only; waiting for the processor between waves keeps
    each serial's events in file order across topics, as `lifecycle replay` applies them.
    """
    waves: list[list[Raw]] = [[]]
    topic_of_key: dict[bytes | None, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        raw = route_line(line, number)
        suffix, key, _ = raw
        if topic_of_key.get(key, suffix) != suffix:
            waves.append([])
            topic_of_key = {}
        topic_of_key[key] = suffix
        waves[-1].append(raw)
    return [wave for wave in waves if wave]


def emit_in_order(settings: Settings, lines: Sequence[str]) -> None:
    """Publish the lines wave by wave, waiting for the processor to catch up after each."""
    for wave in ordered_waves(lines):
        produce(settings, wave)
        wait_caught_up(settings)


def bring_to(settings: Settings, as_of: datetime, policy: Policy, catalog: Catalog, rounds: int = 4) -> int:
    """Emit the ticks that fall due up to `as_of` for the latest snapshots, until none is new; return how many."""
    sent: set[str] = set()
    for _ in range(rounds):
        ticks = [
            tick
            for snapshot in latest_by_key(settings, "entitlements").values()
            for tick in due_ticks(snapshot, EPOCH, as_of, policy, catalog)
            if tick["event_id"] not in sent
        ]
        if not ticks:
            return len(sent)
        produce(settings, [("ticks", t["serial"].encode(), schemas.encode(t)) for t in ticks])
        sent.update(t["event_id"] for t in ticks)
        wait_caught_up(settings)
    return len(sent)


def without_revision(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snapshot.items() if key != "revision"}


def live_notices(settings: Settings) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The notices on the topic by notice_id, and the ids that were sent twice with different content."""
    by_id: dict[str, dict[str, Any]] = {}
    conflicting: list[str] = []
    for record in read_all(settings, "notices"):
        notice = orjson.loads(record.value)
        previous = by_id.setdefault(notice["notice_id"], notice)
        if previous != notice:
            conflicting.append(notice["notice_id"])
    return by_id, conflicting


def snapshot_differences(live: dict[str, dict[str, Any]], replayed: list[dict[str, Any]]) -> list[str]:
    """Where the live latest snapshots and replay's differ (revision aside), one line per difference."""
    expected = {snapshot["serial"]: without_revision(snapshot) for snapshot in replayed}
    found = {serial: without_revision(snapshot) for serial, snapshot in live.items()}
    problems = [f"{serial}: missing live" for serial in sorted(expected.keys() - found.keys())]
    problems += [f"{serial}: not in replay" for serial in sorted(found.keys() - expected.keys())]
    for serial in sorted(expected.keys() & found.keys()):
        want, got = expected[serial], found[serial]
        keys = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
        problems += [f"{serial}.{k}: live {got.get(k)!r} != replay {want.get(k)!r}" for k in keys]
    return problems


def notice_differences(live: dict[str, dict[str, Any]], replayed: list[dict[str, Any]]) -> list[str]:
    """Where the live notices and replay's differ, compared by notice_id."""
    expected = {notice["notice_id"]: notice for notice in replayed}
    problems = [f"{nid}: missing live ({expected[nid]['kind']})" for nid in sorted(expected.keys() - live.keys())]
    problems += [f"{nid}: not in replay ({live[nid]['kind']})" for nid in sorted(live.keys() - expected.keys())]
    shared = sorted(expected.keys() & live.keys())
    problems += [f"{nid}: content differs" for nid in shared if live[nid] != expected[nid]]
    return problems


def assert_agrees_with_replay(settings: Settings, lines: list[str], as_of: datetime) -> None:
    """Bring the live processor to `as_of`; its entitlements and notices equal replay's, and nothing was refused."""
    policy = Policy.with_lead_days(settings.reminder_lead_days)
    bring_to(settings, as_of, policy, catalog_of(lines))
    replayed = replay_events(lines, as_of, policy)
    notices, conflicting = live_notices(settings)
    assert snapshot_differences(latest_by_key(settings, "entitlements"), replayed["entitlements"])[:20] == []
    assert notice_differences(notices, replayed["notices"])[:20] == []
    assert conflicting == []
    assert read_all(settings, "deadletter") == []
