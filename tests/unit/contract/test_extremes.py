"""Extreme input (hypothesis) never crashes `lifecycle replay` or the processor; refusals name the field."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import orjson
from extreme_events import FIELDS, extreme_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.store.holds import holds_record
from consumers.store.mapping import entitlement_row
from lifecycle.replay import Replay
from lifecycle.rules import Policy, Release, catalog_from_releases, due_ticks, release_from_event
from lifecycle.topics import TOPIC_BY_EVENT_TYPE, UPGRADE_GRANTS
from schemas import InvalidMessage, decode_event, validate
from schemas.codec import EVENT_TYPES, FIRST_YEAR, LAST_YEAR
from streams.handler import Context, Handled, Inbound, handle
from streams.stored import StoredSerial

PREFIX = "extremes"
# Past every expiry a few in-range events can reach (a term is at most 120 months).
FAR = datetime(2200, 12, 31, tzinfo=UTC)
FIRST, LAST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC), datetime(LAST_YEAR, 12, 31, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
EXAMPLES = int(os.environ.get("EXTREMES_EXAMPLES", "150"))  # raise it for a longer search
SEARCH = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
Line = tuple[str, frozenset[str]]


def _refusal(line: str) -> str | None:
    try:
        decode_event(line)
    except InvalidMessage as exc:
        return str(exc)
    return None


def _assert_names_a_changed_field(reason: str, changed: frozenset[str]) -> None:
    field, separator, _ = reason.partition(": ")
    assert separator, reason
    assert field in changed, (reason, sorted(changed))


def test_the_search_covers_every_event_type() -> None:
    assert set(FIELDS) == set(EVENT_TYPES)  # a new event type needs its base event and fields in extreme_events


PUBLISHED_KINDS = {"case-decisions": "case_decision", "holds": "holds"}  # beyond entitlements and notices


@SEARCH
@given(st.lists(extreme_lines(), min_size=1, max_size=8))
def test_replay_never_raises_and_refusals_name_the_field(lines: list[Line]) -> None:
    replay = Replay(Policy())
    for number, (line, _) in enumerate(lines, start=1):
        replay.feed_line(line, number)
    replay.advance_to(FAR)
    refused = {entry["line"]: entry["reason"] for entry in replay.rejected}
    for number, (line, changed) in enumerate(lines, start=1):
        if (reason := _refusal(line)) is not None:
            assert refused[number] == reason
            _assert_names_a_changed_field(reason, changed)
    for snapshot in replay.snapshots():
        validate("entitlement", snapshot)  # what the rules make of in-range input stays in the contract
        entitlement_row(orjson.dumps(snapshot))  # and the store keeps it (its dates in the bounds it holds them to)
        for tick in due_ticks(snapshot, FIRST, LAST, Policy(), replay.catalog):
            validate("tick", tick)  # as the scheduler's publisher does
    for notice in replay.notices:
        validate("notice", notice)
    for decision in replay.case_decisions:
        validate("case_decision", decision)


@SEARCH
@given(st.lists(extreme_lines(), min_size=1, max_size=8))
def test_processor_never_fails_and_refusals_name_the_field(lines: list[Line]) -> None:
    table: dict[str, StoredSerial] = {}
    releases: set[Release] = set()
    for line, changed in lines:
        reason = _refusal(line)
        event: Any = orjson.loads(line) if reason is None else None
        if event is not None and event["type"] == "release":
            releases.add(release_from_event(event))  # as every worker's ReleasesView takes it
            continue
        context = Context(PREFIX, catalog_from_releases(releases), Policy(), now=lambda: NOW)
        document = _loose(line)
        kind = document.get("type") if isinstance(document, dict) else None
        topic = TOPIC_BY_EVENT_TYPE.get(kind if isinstance(kind, str) else "", TOPIC_BY_EVENT_TYPE["purchase"])
        serial = document.get("serial") if isinstance(document, dict) else None
        key = serial.encode() if isinstance(serial, str) else None
        first = _handle(Inbound(topic.name(PREFIX), 0, 0, key, line.encode()), table, context)
        if reason is not None:
            assert (first.outcome, first.reason) == ("deadletter", reason)
            _assert_names_a_changed_field(reason, changed)


def _handle(message: Inbound, table: dict[str, StoredSerial], context: Context) -> Handled:
    """Handle a message and the upgrade grants it derives, as the agent would; check what is published."""
    handled = handle(message, table.get, context)
    assert not (handled.reason or "").startswith("processing failed"), handled.reason
    if handled.serial is not None and handled.stored is not None:
        table[handled.serial] = handled.stored
    for record in handled.records:
        if record.suffix in ("entitlements", "notices"):
            validate(record.suffix.removesuffix("s"), orjson.loads(record.value))
        elif record.suffix in PUBLISHED_KINDS:
            validate(PUBLISHED_KINDS[record.suffix], orjson.loads(record.value))
        if record.suffix == "entitlements":
            entitlement_row(record.value)  # the store keeps every snapshot the processor publishes
        elif record.suffix == "holds" and record.value is not None:
            holds_record(record.value)  # and every holds record
        elif record.suffix == UPGRADE_GRANTS.suffix:
            validate("upgrade_grant", orjson.loads(record.value))
            _handle(Inbound(UPGRADE_GRANTS.name(PREFIX), 0, 0, record.key, record.value), table, context)
    return handled


def _loose(line: str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
