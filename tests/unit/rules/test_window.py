"""R14 reorder window: a serial keeps its recent events only, folds older ones in for good, and stays bounded."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey, at

from lifecycle.rules import Policy, state_from_dict, state_to_dict
from lifecycle.rules.engine import event_order
from lifecycle.samples import events as ev

pytestmark = pytest.mark.unit

START = at("2024-01-01")
NARROW = Policy(reorder_window_days=10, kept_events=8)
WIDE = Policy(reorder_window_days=100_000, kept_events=100_000)


def _history(count: int, serial: str = "S") -> list[dict[str, Any]]:
    """A Home subscription with PPI purchases, cases and a monthly online renewal, a day apart."""
    events = [ev.purchase("e0", START, serial, "a", "true-image", "2025", license_type="subscription", term_months=12)]
    for number in range(1, count):
        when = START + timedelta(days=number)
        if number % 30 == 0:
            events.append(ev.renewal(f"e{number}", when, serial, "a", f"ro{number}", 1, "online_store"))
        elif number % 2:
            events.append(ev.ppi(f"e{number}", when, serial, "a"))
        else:
            events.append(ev.case(f"e{number}", when, serial, "a", f"C{number}", "technical", "phone"))
    return events


def _trip(policy: Policy, events: list[dict[str, Any]]) -> Journey:
    trip = Journey(policy=policy)
    trip.send(*events)
    trip.wait_until("2025-06-01")
    return trip


def test_folding_events_in_for_good_changes_nothing_that_is_sent() -> None:
    events = _history(200)
    narrow, wide = _trip(NARROW, events), _trip(WIDE, events)
    assert narrow.snapshots == wide.snapshots
    assert narrow.notices == wide.notices
    assert narrow.decisions == wide.decisions
    assert narrow.rejections == wide.rejections == []


def test_the_state_stays_bounded_however_long_the_history() -> None:
    trip = _trip(NARROW, _history(400))
    state = trip.states["S"]
    assert len(state.window) <= NARROW.kept_events
    assert len(state.folded_ids) <= NARROW.kept_events
    assert len(state.emitted) < 40  # what was sent in the last days of the window, not in the whole history
    assert (
        len(orjson.dumps(state_to_dict(state)))
        < len(orjson.dumps(state_to_dict(_trip(NARROW, _history(40)).states["S"]))) * 2
    )


def test_an_event_older_than_the_window_is_refused_with_its_reason() -> None:
    events = _history(60)
    trip = Journey(policy=NARROW)
    trip.send(*events)
    late = ev.ppi("late", START + timedelta(days=5, hours=1), "S", "a")
    outcome = trip.send(late)
    assert outcome.rejection is not None
    assert outcome.rejection.startswith("occurred_at: 2024-01-06T01:00:00Z is older than serial S's reorder window")
    assert "LIFECYCLE_REORDER_WINDOW_DAYS" in outcome.rejection


def test_a_redelivered_event_folded_in_for_good_is_still_known_as_applied() -> None:
    events = _history(60)
    trip = Journey(policy=NARROW)
    trip.send(*events)
    assert trip.states["S"].through is not None
    before = trip.states["S"]
    outcome = trip.send(events[-12])  # folded in for good, still among the latest folded ids
    assert (outcome.rejection, outcome.snapshot, outcome.notices) == (None, None, ())
    assert outcome.state == before


@settings(max_examples=100, deadline=None)
@given(st.integers(20, 80), st.randoms(use_true_random=False))
def test_late_events_within_the_window_converge_after_older_ones_were_folded_in(count: int, rng: Any) -> None:
    """The hidden-order property with a narrow window: what arrives out of order within it takes its place."""
    events = _history(count)
    head, tail = events[: count - 6], events[count - 6 :]  # six days: within the ten-day window
    shuffled = list(tail)
    rng.shuffle(shuffled)
    late, in_order = _trip(NARROW, head + shuffled), _trip(NARROW, sorted(events, key=event_order))
    assert late.rejections == []
    assert late.states["S"].snapshot is not None
    assert {k: v for k, v in late.states["S"].snapshot.items() if k != "revision"} == {
        k: v for k, v in (in_order.states["S"].snapshot or {}).items() if k != "revision"
    }
    assert {n["notice_id"] for n in in_order.notices} <= {n["notice_id"] for n in late.notices}


def test_a_state_survives_its_document_with_its_fold() -> None:
    trip = Journey(policy=NARROW)
    trip.send(*_history(50))
    state = trip.states["S"]
    again = state_from_dict(orjson.loads(orjson.dumps(state_to_dict(state))))
    assert again == state
    assert again.fold == state.fold
    assert again.base == state.base


def test_a_format_1_document_loads_and_goes_on_as_in_order() -> None:
    """A value written before the window (the whole history) loads; its next event folds the old part in."""
    events = _history(40)
    trip = Journey(policy=NARROW)
    trip.send(*events[:-1])
    current = trip.states["S"]
    old = {
        "serial": "S",
        "history": list(events[:-1]),
        "clock": state_to_dict(current)["clock"],
        "revision": current.revision,
        "snapshot": current.snapshot,
        "emitted": sorted(current.emitted),
        "holds": [],
    }
    loaded = Journey(policy=NARROW)
    loaded.states["S"] = state_from_dict(orjson.loads(orjson.dumps(old)))
    loaded.send(events[-1])
    trip.send(events[-1])
    assert loaded.snapshots == trip.snapshots[-len(loaded.snapshots) :]
    assert {n["notice_id"] for n in loaded.notices} <= {n["notice_id"] for n in trip.notices}
    assert len(loaded.states["S"].window) <= NARROW.kept_events
    assert loaded.states["S"].snapshot == trip.states["S"].snapshot


def test_a_format_1_snapshot_without_its_version_makes_no_new_revision_alone() -> None:
    """Snapshots stored before they carried `schema_version` read as version 1: the field alone is no change."""
    events = _history(3)
    trip = Journey(policy=NARROW)
    trip.send(*events)
    current = trip.states["S"]
    assert current.snapshot is not None
    unversioned = {k: v for k, v in current.snapshot.items() if k != "schema_version"}
    old = {
        "serial": "S",
        "history": list(events),
        "clock": state_to_dict(current)["clock"],
        "revision": current.revision,
        "snapshot": unversioned,
        "emitted": sorted(current.emitted),
        "holds": [],
    }
    loaded = Journey(policy=NARROW)
    loaded.states["S"] = state_from_dict(orjson.loads(orjson.dumps(old)))
    expires_on = date.fromisoformat(current.snapshot["support"]["expires_on"])
    loaded.wait_until(str(expires_on - timedelta(days=3)))  # reminders fall due; the entitlement stays the same
    assert loaded.notices
    assert loaded.snapshots == []


def test_events_held_for_their_purchase_stay_kept_however_many_and_however_late_it_comes() -> None:
    events = _history(60)
    purchase, rest = events[0], events[1:]
    trip = Journey(policy=NARROW)
    trip.send(*rest)  # 59 events spread over 59 days wait for a purchase dated before all of them
    assert trip.rejections == []
    trip.send(purchase)
    trip.wait_until("2025-06-01")
    assert trip.rejections == []
    in_order = _trip(WIDE, events)
    assert {**trip.snapshots[-1], "revision": 0} == {**in_order.snapshots[-1], "revision": 0}
    assert {n["notice_id"] for n in trip.notices} == {n["notice_id"] for n in in_order.notices}


def test_a_state_from_a_newer_processor_is_refused_not_misread() -> None:
    trip = _trip(NARROW, _history(3))
    document = {**state_to_dict(trip.states["S"]), "format": 3}
    with pytest.raises(ValueError, match="format 3, newer than this processor"):
        state_from_dict(document)
