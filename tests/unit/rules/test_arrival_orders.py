"""R14 and R14a over arrival orders: every order of a serial's events ends where event-time order does."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey, at, without_taken_back

from lifecycle.rules import Policy, Release
from lifecycle.rules.due import tick_event
from lifecycle.rules.engine import event_order
from lifecycle.samples import events as ev

# A reorder window that covers every generated history: each event takes its place, however late.
WIDE = Policy(reorder_window_days=1000)
BACKFILLED = at("2027-07-01")  # every event arrives at once, after the last one happened
# Version 2025, the one the histories buy, leaves the lifecycle while they run (two newer versions are out).
CATALOG = {
    family: tuple(Release(family, version, date.fromisoformat(day)) for version, day in versions)
    for family, versions in {
        "true-image": (("2025", "2024-09-01"), ("2026", "2025-03-01"), ("2027", "2025-09-01")),
        "backup": (("2025", "2024-09-01"), ("2026", "2025-06-01"), ("2027", "2026-01-01")),
    }.items()
}


@st.composite
def _histories(draw: st.DrawFn, hours: int, once: frozenset[str] = frozenset({"purchase"})) -> list[dict[str, Any]]:
    """One serial's events of every type within `hours` of 2025-01-01, ticks included; kinds in `once` once."""
    serial, events, seen = "S", [], set()
    for number in range(draw(st.integers(1, 8))):
        when = at("2025-01-01") + timedelta(hours=draw(st.integers(0, hours)))
        kinds = ("purchase", "registration", "renewal", "order", "upgrade", "ppi", "tick", "case")
        kind = draw(st.sampled_from([k for k in kinds if k not in seen]))
        if kind in once:
            seen.add(kind)
        event_id = f"e{number}"
        if kind == "purchase":
            name = draw(st.sampled_from(("backup-advanced", "true-image")))
            channel = draw(st.sampled_from(("online_store", "retail_box")))
            license_type = draw(st.sampled_from(("perpetual", "subscription")))
            term = 12 if license_type == "subscription" else None
            events.append(ev.purchase(event_id, when, serial, "a", name, "2025", channel, license_type, term))
        elif kind == "registration":  # by the buyer or, on a box, whoever registers it first (R1)
            events.append(ev.registration(event_id, when, serial, draw(st.sampled_from(("a", "b")))))
        elif kind == "renewal":
            channel = draw(st.sampled_from(("online_store", "sales")))
            # An order id belongs to one channel's system: the same order twice is the same channel's.
            order = f"{channel}-ro{draw(st.integers(0, 1))}"
            events.append(ev.renewal(event_id, when, serial, "a", order, 12, channel))
        elif kind == "order":
            events.append(
                ev.registration(event_id, when, serial, "a", renewal_order_id=f"sales-ro{draw(st.integers(0, 1))}")
            )
        elif kind == "upgrade":
            account = draw(st.sampled_from(("a", "b")))
            events.append(ev.upgrade(event_id, when, serial, account, "S-new", "backup-advanced", "12.5"))
        elif kind == "ppi":
            events.append(ev.ppi(event_id, when, serial, "a"))
        elif kind == "case":
            category = draw(st.sampled_from(("technical", "customer_service", "recovery")))
            channel = draw(st.sampled_from(("chat", "email", "phone")))
            case_number = f"C{draw(st.integers(0, 2))}"  # colliding case numbers: the same case again
            events.append(
                ev.case(event_id, when, serial, "a", case_number, category, channel, draw(st.sampled_from("AB")))
            )
        else:
            events.append(tick_event(serial, draw(st.sampled_from(("reminder", "expiry", "hold_expiry"))), when.date()))
    return events


def _run(
    events: list[dict[str, Any]], policy: Policy = WIDE
) -> tuple[dict[str, dict[str, Any]], set[str], dict[str, dict[str, Any]]]:
    trip = Journey(CATALOG, policy, arrived_at=BACKFILLED)  # every event arrives at once, after the last one happened
    trip.send(*events)
    trip.wait_until("2027-07-15")  # before the holds run out: what still waits, waits in every order
    snapshots = {s: {k: v for k, v in (st.snapshot or {}).items() if k != "revision"} for s, st in trip.states.items()}
    for snapshot in trip.snapshots:
        assert snapshot["support"]["ppi_credits"] >= 0  # R16: a credit is never spent that was not there
    decisions = {d["decision_id"]: d for d in trip.decisions}
    assert len(decisions) == len(trip.decisions)  # each case is decided (and a credit spent) once
    return snapshots, {n["notice_id"] for n in trip.notices}, decisions


@settings(max_examples=200, deadline=None)
@given(_histories(hours=24 * 900, once=frozenset({"purchase", "registration"})), st.randoms(use_true_random=False))
def test_any_arrival_order_gives_the_event_time_snapshots(events: list[dict[str, Any]], rng: Any) -> None:
    """R14: every arrival order of a serial's events, of every type, ends in the same entitlements.

    Notices a late event makes moot (a reminder sent before the renewal that moved the expiry arrived) were
    already sent; every notice of event-time order is sent too. (A serial registered twice can have its
    upgrade granted on the later registration and denied once the earlier arrives: the properties below.)
    """
    _converges(events, rng, WIDE)


@settings(max_examples=200, deadline=None)
@given(_histories(hours=24 * 89, once=frozenset({"purchase", "registration"})), st.randoms(use_true_random=False))
def test_any_arrival_order_within_the_default_window_gives_the_event_time_snapshots(
    events: list[dict[str, Any]], rng: Any
) -> None:
    """R14 with the default reorder window (3650 days, 64 events): a history that fits converges in any order."""
    _converges(events, rng, Policy())


@settings(max_examples=300, deadline=None)
@given(_histories(hours=24 * 900), st.randoms(use_true_random=False))
def test_any_arrival_order_of_a_serial_registered_again_converges_but_for_a_grant_taken_back(
    events: list[dict[str, Any]], rng: Any
) -> None:
    """R9, R14: registered twice, the source's upgrade can be granted on the later registration and denied once the
    earlier one arrives. The grant is then taken back: the new serial, which event-time order never makes, is left
    with no support; every other snapshot is event-time order's."""
    _converges(events, rng, WIDE, taken_back=True)


@settings(max_examples=1000, deadline=None)
@given(
    st.integers(0, 300),
    st.integers(1, 500),
    st.integers(0, 900),
    st.one_of(st.none(), st.integers(1, 400)),
    st.one_of(st.none(), st.integers(0, 400)),
    st.randoms(use_true_random=False),
)
def test_an_upgrade_granted_then_denied_by_a_late_registration_is_taken_back(
    registered: int, again: int, upgraded: int, renewed: int | None, new_renewed: int | None, rng: Any
) -> None:
    """R9, R14: a boxed Business serial registered twice (its support runs from the first registration), upgraded,
    maybe renewed before, its new serial maybe renewed after: whatever arrives late, the grant stands only where
    event-time order grants it, and the new serial's renewal waits for it as it does there (R14a)."""
    purchased = at("2024-01-01")
    first = purchased + timedelta(days=registered)
    events = [
        ev.purchase("p", purchased, "S", "a", "backup-advanced", "12.5", "retail_box"),
        ev.registration("r1", first, "S", "a"),
        ev.registration("r2", first + timedelta(days=again), "S", "a"),
        ev.upgrade("u", first + timedelta(days=upgraded), "S", "a", "S-new", "backup-advanced", "15"),
    ]
    if renewed is not None:  # days before the upgrade (one after it, on a source superseded by then, is refused)
        on = first + timedelta(days=upgraded - renewed)
        events.append(ev.renewal("n", on, "S", "a", "ro-1", 12, "online_store"))
    if new_renewed is not None:
        on = first + timedelta(days=upgraded + new_renewed)
        events.append(ev.renewal("n2", on, "S-new", "a", "ro-2", 12, "online_store"))
    _converges(events, rng, WIDE, taken_back=True)


def _converges(events: list[dict[str, Any]], rng: Any, policy: Policy, taken_back: bool = False) -> None:
    shuffled = list(events)
    rng.shuffle(shuffled)
    arrived, arrived_notices, arrived_decisions = _run(shuffled, policy)
    in_order, in_order_notices, in_order_decisions = _run(sorted(events, key=event_order), policy)
    if taken_back:
        known = without_taken_back(in_order)
        assert known == {serial: snapshot for serial, snapshot in in_order.items() if snapshot}  # never taken back
        in_order, arrived = known, without_taken_back(arrived)
    assert arrived == in_order
    assert in_order_notices <= arrived_notices
    assert in_order_decisions.keys() <= arrived_decisions.keys()


@settings(max_examples=300, deadline=None)
@given(
    _histories(hours=24 * 900, once=frozenset({"purchase", "registration"})),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_events_that_overtake_their_purchase_send_the_same_notices(
    events: list[dict[str, Any]], rng: Any, registration_last: bool
) -> None:
    """R14a: whatever overtook the purchase (and the registration) waits for it: the notices are the same too.

    Only the order of the others is free: a notice already sent on what a late event then changes cannot be
    taken back (a renewal confirmed before the upgrade that superseded it arrived).
    """

    def overtaken(event: dict[str, Any]) -> bool:
        if event["type"] == "purchase":
            return bool(event["license"]["type"] != "ppi")
        return registration_last and event["type"] == "registration" and "renewal_order_id" not in event

    first = [event for event in sorted(events, key=event_order) if not overtaken(event)]
    last = [event for event in events if overtaken(event)]
    rng.shuffle(last)
    assert _run(first + last) == _run(sorted(events, key=event_order))
