"""What falls due (R10-R12): the one function behind the scheduler's ticks and the processor's transitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import POLICY, Journey, at

from lifecycle.rules import Policy, Release, catalog_from_releases, due_ticks, falls_due, tick_event
from lifecycle.rules.due import SnapshotDates, due_schedule
from lifecycle.rules.entitlement import Entitlement
from lifecycle.samples import events as ev

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AS_OF = at("2028-01-01")
STATUSES = ("active", "expired", "superseded", "version_unsupported", "pending_registration")
PROGRAMS = ("advantage_premier", "home_subscription", "home_perpetual", "none")
RELEASES = [Release("true-image", str(year), date(year, 9, 1)) for year in range(2024, 2029)]


@st.composite
def entitlements(draw: st.DrawFn) -> Entitlement:
    """Entitlements with every combination of the facts that decide what falls due."""
    expires_on = draw(st.none() | st.dates(date(2025, 1, 1), date(2028, 12, 31)))
    return Entitlement(
        serial="S",
        account_id="a",
        product=ev.product("true-image", draw(st.sampled_from(("2023", "2024", "2025", "2027", "2030")))),
        channel="online_store",
        license={"type": "perpetual", "quantity": 1, "unit": "machine"},
        purchased_at="2025-01-01T00:00:00Z",
        purchased_on=date(2025, 1, 1),
        status=draw(st.sampled_from(STATUSES)),
        program=draw(st.sampled_from(PROGRAMS)),
        starts_on=date(2025, 1, 1),
        expires_on=expires_on,
        version_supported=draw(st.booleans()),
    )


instants = st.datetimes(datetime(2025, 1, 1), datetime(2029, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(entitlements(), instants, instants, st.lists(st.integers(0, 60), max_size=4))
def test_the_scheduler_ticks_what_falls_due_for_the_processor(
    entitlement: Entitlement, after: datetime, until: datetime, lead_days: list[int]
) -> None:
    """A snapshot is read for the same transitions as the entitlement it shows, at the same days."""
    policy, catalog = Policy.with_lead_days(tuple(lead_days)), catalog_from_releases(RELEASES)
    due = falls_due(entitlement, after, until, policy, catalog)
    expected = [tick_event("S", d.kind, d.day, d.lead_days) for d in due]
    assert due_ticks(entitlement.snapshot(1), after, until, policy, catalog) == expected
    assert all(d.at.timetz() == datetime.min.time().replace(tzinfo=UTC) for d in due)  # at the start of a UTC day
    assert [d.at for d in due] == sorted(d.at for d in due)
    assert all(after < d.at <= until for d in due if d.kind == "reminder")
    assert all(d.at <= until for d in due)


def _active(product: dict[str, Any], program: str, expires_on: date) -> Entitlement:
    """An active online-store entitlement of serial S, bought on 2025-01-01."""
    return Entitlement(
        "S", "a", product, "online_store", {}, "", date(2025, 1, 1), "active", program, expires_on=expires_on
    )


def test_transitions_due_on_one_day_come_reminder_expiry_version_check() -> None:
    entitlement = _active(ev.product("true-image", "2024"), "home_subscription", date(2026, 9, 1))
    due = falls_due(
        entitlement,
        at("2026-01-01"),
        at("2026-09-01"),
        Policy.with_lead_days((0,)),
        {
            "true-image": (
                Release("true-image", "2025", date(2025, 9, 1)),
                Release("true-image", "2026", date(2026, 9, 1)),
            )
        },
    )
    assert [(d.day.isoformat(), d.kind, d.lead_days) for d in due] == [
        ("2026-09-01", "reminder", 0),
        ("2026-09-01", "expiry", None),
        ("2026-09-01", "version_check", None),
    ]


def test_an_overdue_expiry_stays_due_and_a_passed_reminder_does_not() -> None:
    entitlement = _active(ev.product("backup-advanced", "12"), "advantage_premier", date(2026, 3, 15))
    due = falls_due(entitlement, at("2026-04-01"), at("2026-05-01"), Policy(), {})
    assert [(d.kind, d.day) for d in due] == [("expiry", date(2026, 3, 15))]


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Purchases and renewals of products that expire, remind and leave the support lifecycle."""
    events: list[dict[str, Any]] = []
    for number in range(draw(st.integers(1, 6))):
        serial = draw(st.sampled_from(("A", "B", "C")))
        when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 24 * 700)))
        if draw(st.booleans()):
            name, version = draw(st.sampled_from((("backup-advanced", "12"), ("true-image", "2024"))))
            license_type = draw(st.sampled_from(("perpetual", "subscription")))
            term = 12 if license_type == "subscription" else None
            events.append(
                ev.purchase(f"e{number}", when, serial, "a", name, version, license_type=license_type, term_months=term)
            )
        else:
            events.append(ev.renewal(f"e{number}", when, serial, "a", f"ro{number}", 12, "online_store"))
    return sorted(events, key=lambda event: str(event["occurred_at"]))


def _ticked(events: list[dict[str, Any]], policy: Policy) -> Journey:
    """The processor driven by the scheduler's ticks only, read from its own snapshots until none is new."""
    trip = Journey(catalog_from_releases(RELEASES), policy)
    trip.send(*events)
    sent: set[str] = set()
    for _ in range(6):
        ticks = [
            tick
            for state in list(trip.states.values())
            if state.snapshot is not None
            for tick in due_ticks(state.snapshot, EPOCH, AS_OF, policy, trip.catalog)
            if tick["event_id"] not in sent
        ]
        if not ticks:
            break
        trip.send(*ticks)
        sent.update(tick["event_id"] for tick in ticks)
    return trip


@settings(max_examples=120, deadline=None)
@given(histories(), st.lists(st.integers(1, 45), min_size=1, max_size=3))
def test_ticks_from_snapshots_bring_the_processor_where_time_passing_does(
    events: list[dict[str, Any]], lead_days: list[int]
) -> None:
    """The scheduler and the processor agree: ticking every due transition equals letting time pass to AS_OF."""
    policy = Policy.with_lead_days(tuple(lead_days))
    ticked = _ticked(events, policy)
    waited = Journey(catalog_from_releases(RELEASES), policy)
    waited.send(*events)
    waited.wait_until(AS_OF.date())

    def without_revision(trip: Journey) -> dict[str, Any]:
        return {s: {k: v for k, v in (st.snapshot or {}).items() if k != "revision"} for s, st in trip.states.items()}

    assert without_revision(ticked) == without_revision(waited)
    assert sorted(n["notice_id"] for n in ticked.notices) == sorted(n["notice_id"] for n in waited.notices)


def test_a_schedule_asked_again_with_another_catalog_or_policy_is_made_again() -> None:
    """The schedule kept for the last entitlement asked is given back only for the very same catalog and policy."""
    dates = SnapshotDates("active", "advantage_premier", date(2027, 1, 1), "backup-advanced", "12", True)
    before = catalog_from_releases([Release("backup-advanced", "12", date(2024, 1, 1))])
    newer = [Release("backup-advanced", "13", date(2025, 1, 1)), Release("backup-advanced", "14", date(2026, 1, 1))]
    after = catalog_from_releases([*before["backup-advanced"], *newer])
    assert [d.kind for d in due_schedule(dates, POLICY, before)] == ["reminder"] * 3 + ["expiry"]
    assert "version_check" in [d.kind for d in due_schedule(dates, POLICY, after)]
    assert [d.lead_days for d in due_schedule(dates, Policy.with_lead_days((14,)), after) if d.lead_days] == [14]
    assert [d.lead_days for d in due_schedule(dates, POLICY, after) if d.lead_days] == [30, 7, 1]
