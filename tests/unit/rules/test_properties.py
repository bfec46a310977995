"""Properties of the rules (hypothesis): idempotency, order independence, growing revisions, totality."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey, at, without_taken_back

from lifecycle.rules import Policy
from lifecycle.rules.calendar import add_months
from lifecycle.rules.engine import event_order
from lifecycle.samples import events as ev
from schemas import InvalidMessage, decode_event

BASE = datetime(2025, 1, 1, tzinfo=UTC)
ARRIVED = datetime(2027, 5, 1, tzinfo=UTC)  # every event arrives at once, after all of them happened (a backfill)
SERIALS = ("A", "B")
WIDE = Policy(reorder_window_days=1000)  # covers every generated journey: each event takes its place


def _stamp(offset: int) -> datetime:
    return BASE + timedelta(hours=offset)


@st.composite
def journeys(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Random but meaningful event sequences over two serials, with colliding order ids."""
    events: list[dict[str, Any]] = []
    for number in range(draw(st.integers(1, 9))):
        serial = draw(st.sampled_from(SERIALS))
        when = _stamp(draw(st.integers(0, 24 * 800)))
        kind = draw(st.sampled_from(("purchase", "registration", "renewal", "order_registration", "upgrade", "ppi")))
        event_id = f"e{number}"
        if kind == "purchase":
            name = draw(st.sampled_from(("backup-advanced", "true-image", "discwizard")))
            channel = draw(st.sampled_from(("online_store", "retail_box", "partner")))
            license_type = draw(st.sampled_from(("perpetual", "subscription")))
            term = 12 if license_type == "subscription" else None
            events.append(ev.purchase(event_id, when, serial, "acct", name, "2025", channel, license_type, term))
        elif kind == "registration":
            events.append(ev.registration(event_id, when, serial, "acct"))
        elif kind == "renewal":
            channel = draw(st.sampled_from(("online_store", "sales", "partner")))
            events.append(ev.renewal(event_id, when, serial, "acct", f"ro{draw(st.integers(0, 2))}", 12, channel))
        elif kind == "order_registration":
            events.append(
                ev.registration(event_id, when, serial, "acct", renewal_order_id=f"ro{draw(st.integers(0, 2))}")
            )
        elif kind == "upgrade":
            events.append(ev.upgrade(event_id, when, serial, "acct", f"{serial}-new", "backup-advanced", "12.5"))
        else:
            events.append(ev.ppi(event_id, when, serial, "acct"))
    return events


def _final(events: list[dict[str, Any]], until: str = "2027-06-01") -> dict[str, dict[str, Any]]:
    trip = Journey(policy=WIDE, arrived_at=ARRIVED)
    trip.send(*events)
    trip.wait_until(until)
    return {
        serial: {k: v for k, v in (state.snapshot or {}).items() if k != "revision"}
        for serial, state in trip.states.items()
    }


@settings(max_examples=150, deadline=None)
@given(journeys())
def test_applying_every_event_twice_equals_applying_it_once(events: list[dict[str, Any]]) -> None:
    once = Journey(policy=WIDE)
    once.send(*events)
    twice = Journey(policy=WIDE)
    for event in events:
        twice.send(event, dict(event))
    assert {s: st.snapshot for s, st in twice.states.items()} == {s: st.snapshot for s, st in once.states.items()}
    assert twice.notices == once.notices


@settings(max_examples=150, deadline=None)
@given(journeys(), st.randoms(use_true_random=False))
def test_any_arrival_order_converges_to_event_time_order(events: list[dict[str, Any]], rng: Any) -> None:
    """The state is the event-time fold of the events, whatever order they arrived in (R14).

    An event refused on arrival (a second purchase of a serial) is dead-lettered and kept all the same: an event
    dated before it, come late, may let it go on, as event-time order has it. A grant taken back (R9) leaves its
    new serial with no support, which event-time order never makes: the one exception.
    """
    shuffled = list(events)
    rng.shuffle(shuffled)
    arrived = Journey(policy=WIDE, arrived_at=ARRIVED)
    arrived.send(*shuffled)
    assert not any("reorder window" in reason for reason in arrived.rejections)
    in_order = _final(sorted(events, key=event_order))
    known = without_taken_back(in_order)
    assert known == {serial: snapshot for serial, snapshot in in_order.items() if snapshot}  # none taken back
    assert without_taken_back(_final(shuffled)) == known


@settings(max_examples=100, deadline=None)
@given(journeys())
def test_revisions_only_grow_and_notices_are_sent_once(events: list[dict[str, Any]]) -> None:
    trip = Journey()
    trip.send(*events)
    trip.wait_until("2027-06-01")
    revisions: dict[str, int] = {}
    for snapshot in trip.snapshots:
        assert snapshot["revision"] > revisions.get(snapshot["serial"], 0)
        revisions[snapshot["serial"]] = snapshot["revision"]
    ids = [n["notice_id"] for n in trip.notices]
    assert len(ids) == len(set(ids))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["type", "serial", "event_id", "occurred_at"]), st.text(max_size=5))))
def test_garbage_never_raises(documents: list[dict[str, str]]) -> None:
    """Anything that is not a valid event is rejected by the contract before the rules see it."""
    reasons: list[str] = []
    for document in documents:
        try:
            event = decode_event(orjson.dumps(document))
        except InvalidMessage as exc:
            reasons.append(str(exc))
        else:
            Journey().send(event)
    # Each refusal names the field at fault ("type: ...", "serial: ...").
    assert all(": " in reason for reason in reasons)


def test_purchase_and_registration_in_either_order() -> None:
    purchase = ev.purchase("p", at("2025-01-01"), "S", "shop", "true-image", "2025", channel="retail_box")
    registration = ev.registration("r", at("2025-01-20"), "S", "a")
    assert _final([purchase, registration]) == _final([registration, purchase])
    assert _final([registration, purchase])["S"]["support"]["starts_on"] == "2025-01-20"


def test_renewal_order_and_its_registration_in_either_order() -> None:
    purchase = ev.purchase("p", at("2025-01-01"), "S", "a", "backup-advanced", "12.5")
    order = ev.renewal("n", at("2025-12-01"), "S", "a", "ro", 12, "sales")
    registered = ev.registration("r", at("2025-12-03"), "S", "a", renewal_order_id="ro")
    assert _final([purchase, order, registered]) == _final([purchase, registered, order])
    assert _final([purchase, registered, order])["S"]["support"]["expires_on"] == "2027-01-01"


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 240))
def test_month_terms_clamp_to_month_end(start: date, months: int) -> None:
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day == start.day or (end.day < start.day and (end + timedelta(days=1)).day == 1)


def test_month_examples_from_the_brief() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
