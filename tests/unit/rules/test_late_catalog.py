"""R14 when the catalog comes late: events applied before a release was known end where event-time order does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey, at
from test_arrival_orders import BACKFILLED, WIDE, _histories
from test_arrival_orders import CATALOG as RELEASES

from lifecycle.rules import Catalog, Policy, Release, due_ticks
from lifecycle.rules.engine import event_order
from lifecycle.samples import events as ev

TRUE_IMAGE = {
    "true-image": (
        Release("true-image", "2023", datetime(2022, 9, 1, tzinfo=UTC).date()),
        Release("true-image", "2025", datetime(2024, 9, 1, tzinfo=UTC).date()),
        Release("true-image", "2027", datetime(2025, 9, 1, tzinfo=UTC).date()),
    )
}
SINCE = datetime(1970, 1, 1, tzinfo=UTC)
NOW = at("2026-03-01")


def _boxed_2023(serial: str = "S") -> list[dict[str, Any]]:
    """A retail box of a version whose support ended before it was bought, registered nine days later."""
    return [
        ev.purchase("p", at("2025-11-30"), serial, "a", "true-image", "2023", "retail_box", "perpetual", None),
        ev.registration("r", at("2025-12-09"), serial, "a"),
    ]


def _scheduled(trip: Journey, serial: str, now: datetime = NOW) -> None:
    """What the scheduler sends for the serial's stored snapshot once it knows the catalog: every tick due by now."""
    for tick in due_ticks(trip.snapshot(serial), SINCE, now, trip.policy, trip.catalog):
        trip.send(tick)
    trip.wait_until(now.date())


def _snapshots(trip: Journey) -> dict[str, dict[str, Any]]:
    """Each serial's snapshot, revision aside; a superseded serial's version support aside too.

    A superseded serial is out of the version checks: it keeps the version support it had when it was upgraded,
    so a release read after the upgrade does not change it (docs/rules.md, R10).
    """
    snapshots = {}
    for serial, state in trip.states.items():
        if (snapshot := state.snapshot) is not None:
            skipped = {"revision", "version_supported"} if snapshot["status"] == "superseded" else {"revision"}
            snapshots[serial] = {key: value for key, value in snapshot.items() if key not in skipped}
    return snapshots


def _known(catalog: Catalog, unknown: int) -> Catalog:
    """The catalog without the `unknown` latest releases of each family."""
    return {family: releases[: len(releases) - unknown] for family, releases in catalog.items()}


def _in_order_and_late(events: list[dict[str, Any]], catalog: Catalog, read_after: int) -> tuple[Journey, Journey]:
    """The events with the catalog known from the start, and with it read after the first `read_after` of them."""
    in_order = Journey(catalog, arrived_at=NOW)
    in_order.send(*events)
    late = Journey({}, arrived_at=NOW)  # the releases view had not read the releases yet
    late.send(*events[:read_after])
    late.catalog = catalog
    late.send(*events[read_after:])
    return in_order, late


def test_a_release_known_only_after_the_events_ends_where_event_time_order_does() -> None:
    in_order, late = _in_order_and_late(_boxed_2023(), TRUE_IMAGE, 2)
    before = late.snapshot("S")
    for trip in (in_order, late):
        _scheduled(trip, "S")

    assert before["version_supported"] != late.snapshot("S")["version_supported"]  # the late release mattered
    assert _snapshots(late) == _snapshots(in_order)
    assert late.snapshot("S")["last_event_id"] == "r"  # not the version check dated before the purchase


def test_an_event_after_the_late_release_and_before_its_tick_takes_its_place_after_the_version_end() -> None:
    events = [
        ev.purchase("p", at("2025-03-01"), "S", "a", "true-image", "2023", "online_store", "perpetual", None),
        ev.case("c1", at("2025-10-05"), "S", "a", "C0", "customer_service", "chat", "B"),
        ev.case("c2", at("2025-12-01"), "S", "a", "C0", "customer_service", "chat", "B"),  # the same case again
    ]
    in_order, late = _in_order_and_late(events, TRUE_IMAGE, 2)
    for trip in (in_order, late):
        _scheduled(trip, "S")
    assert _snapshots(late) == _snapshots(in_order)
    assert late.snapshot("S")["last_event_id"] == "c1"


def test_a_version_end_at_the_very_instant_of_the_purchase_is_caught_up() -> None:
    ended = {"true-image": (*TRUE_IMAGE["true-image"][:2], Release("true-image", "2027", at("2025-11-30").date()))}
    in_order, late = _in_order_and_late(_boxed_2023()[:1], ended, 1)  # bought at 00:00 on the day 2023 left
    for trip in (in_order, late):
        _scheduled(trip, "S")
    assert _snapshots(late) == _snapshots(in_order)
    assert (late.snapshot("S")["version_supported"], late.snapshot("S")["last_event_id"]) == (False, "p")


def test_a_version_check_sent_again_changes_nothing_more() -> None:
    _, late = _in_order_and_late(_boxed_2023(), TRUE_IMAGE, 2)
    ticks = due_ticks(late.snapshot("S"), SINCE, NOW, Policy(), TRUE_IMAGE)
    assert [tick["event_id"] for tick in ticks] == ["tick:S:version_check:2025-09-01"]
    late.send(*ticks)
    sent = (len(late.snapshots), len(late.notices), late.states["S"].revision)
    late.send(*ticks)  # overdue ticks are sent again, once a day, until the processor acts on them
    assert (len(late.snapshots), len(late.notices), late.states["S"].revision) == sent


@settings(max_examples=300, deadline=None)
@given(_histories(hours=24 * 900, once=frozenset({"purchase", "registration"})), st.integers(0, 8), st.integers(1, 2))
def test_any_history_applied_before_its_releases_were_read_ends_where_event_time_order_does(
    events: list[dict[str, Any]], read_after: int, unknown: int
) -> None:
    """R14: events arrive in any order while the latest releases are not known yet; once they are, the scheduler's
    ticks bring every serial where event-time order with the whole catalog does."""
    until = at("2027-07-15")  # before the holds run out: what still waits, waits in every order
    in_order = Journey(RELEASES, WIDE, arrived_at=BACKFILLED)
    in_order.send(*sorted(events, key=event_order))
    late = Journey(_known(RELEASES, unknown), WIDE, arrived_at=BACKFILLED)
    late.send(*events[:read_after])
    late.catalog = RELEASES
    late.send(*events[read_after:])
    for trip in (in_order, late):
        for serial in sorted(_snapshots(trip)):
            _scheduled(trip, serial, until)
    assert _snapshots(late) == _snapshots(in_order)
