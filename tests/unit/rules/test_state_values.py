"""A serial's state builds its snapshot from its fold when asked, and knows its applied events without a set."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from journeys import Journey, at

from lifecycle.rules import state_from_dict, state_to_dict
from lifecycle.rules.entitlement import shown
from lifecycle.rules.values import evolve
from lifecycle.samples import events as ev

pytestmark = pytest.mark.unit

START = at("2024-01-01")


def _subscription(events: int) -> Journey:
    trip = Journey()
    trip.send(ev.purchase("p", START, "S", "a", "true-image", "2025", license_type="subscription", term_months=12))
    for number in range(1, events):
        trip.send(ev.ppi(f"x{number}", START + timedelta(days=number), "S", "a"))
    return trip


def test_the_state_s_snapshot_is_the_last_one_published() -> None:
    trip = _subscription(3)
    state = trip.states["S"]
    assert state.published is None  # not kept twice: built from the fold
    assert state.snapshot == trip.snapshots[-1]
    assert state.snapshot is not None
    assert state.snapshot["revision"] == state.revision


def test_a_stored_state_loads_with_the_same_snapshot() -> None:
    state = _subscription(3).states["S"]
    document = state_to_dict(state)
    assert document["snapshot"] is None  # the fold implies it: not stored a second time
    loaded = state_from_dict(document)
    assert loaded.snapshot == state.snapshot
    assert loaded.published is None
    assert loaded == state


def test_a_snapshot_the_fold_does_not_imply_is_stored_and_loaded_as_it_was() -> None:
    state = evolve(_subscription(3).states["S"], published={"serial": "S", "revision": 7})
    loaded = state_from_dict(state_to_dict(state))
    assert loaded.snapshot == {"serial": "S", "revision": 7}


@pytest.mark.parametrize("events", [2, 40])
def test_applied_events_are_known_with_or_without_the_id_set(events: int) -> None:
    state = _subscription(events).states["S"]
    assert (state.ids is None) == (events == 2)  # a few ids are looked up one by one
    assert state.applied("p")
    assert state.applied(f"x{events - 1}")
    assert not state.applied("never-sent")


def test_snapshots_compare_as_what_they_show() -> None:
    trip = _subscription(2)
    fold = trip.states["S"].fold
    assert fold is not None
    assert fold.entitlement is not None
    entitlement = fold.entitlement
    same = replace(entitlement, applied_orders=("another",))
    other = replace(entitlement, ppi_credits=entitlement.ppi_credits + 1)
    assert shown(same) == shown(entitlement)
    assert same.snapshot(1) == entitlement.snapshot(1)
    assert shown(other) != shown(entitlement)
    assert other.snapshot(1) != entitlement.snapshot(1)
