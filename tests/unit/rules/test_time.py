"""R10 support lifecycle, R11 expiry and R12 notices as time passes."""

from __future__ import annotations

from datetime import date

from journeys import at, journey

from lifecycle.rules import Policy, Release, catalog_from_releases, due_ticks
from lifecycle.samples import events as ev

TRUE_IMAGE = catalog_from_releases(
    [
        Release("true-image", "2025", date(2025, 9, 1)),
        Release("true-image", "2026", date(2026, 9, 1)),
        Release("true-image", "2027", date(2027, 9, 1)),
    ]
)


def test_reminders_then_expiry() -> None:
    """R11, R12: reminders 30, 7 and 1 days before expires_on, then support_expired on the day."""
    trip = journey([ev.purchase("p", at("2025-03-15T10:00"), "S", "a", "backup-advanced", "12.5")])
    trip.wait_until("2026-03-14")
    assert [n["due_on"] for n in trip.notices[1:]] == ["2026-02-13", "2026-03-08", "2026-03-14"]
    assert trip.snapshot("S")["status"] == "active"
    trip.wait_until("2026-03-15")
    snapshot = trip.snapshot("S")
    assert (snapshot["status"], snapshot["support"]["free_upgrades"], snapshot["support"]["channels"]) == (
        "expired",
        False,
        [],
    )
    assert trip.notices[-1]["notice_id"] == "support_expired:S:2026-03-15"


def test_reminder_lead_days_are_configurable_per_program() -> None:
    policy = Policy({"advantage_premier": (10,), "home_subscription": ()})
    snapshot = journey([ev.purchase("p", at("2025-03-15"), "S", "a", "backup-advanced", "12.5")]).snapshot("S")
    ticks = due_ticks(snapshot, at("2025-03-15"), at("2026-03-10"), policy, {})
    assert [t["event_id"] for t in ticks] == ["tick:S:reminder:2026-03-05:10"]


def test_a_renewal_before_a_sweep_stops_the_later_reminders() -> None:
    trip = journey([ev.purchase("p", at("2025-03-15"), "S", "a", "backup-advanced", "12.5")])
    trip.wait_until("2026-02-14")
    trip.send(ev.renewal("n", at("2026-02-20"), "S", "a", "ro", 12, "online_store"))
    trip.wait_until("2026-03-20")
    assert trip.kinds() == ["support_started", "expiry_reminder", "renewal_confirmed"]


def test_release_ends_support_for_old_home_perpetual_versions() -> None:
    """FAQ "I use an older version": support for the current version plus one earlier version (R10)."""
    trip = journey([ev.purchase("p", at("2025-10-01"), "S", "a", "true-image", "2025")], catalog=TRUE_IMAGE)
    trip.wait_until("2027-08-31")
    assert trip.snapshot("S")["status"] == "active"
    trip.wait_until("2027-09-01")
    snapshot = trip.snapshot("S")
    assert (snapshot["status"], snapshot["version_supported"], snapshot["support"]["channels"]) == (
        "version_unsupported",
        False,
        [],
    )
    assert trip.notices[-1]["kind"] == "version_end_of_support"
    assert trip.notices[-1]["data"]["current_version"] == "2027"


def test_release_only_flags_other_programs() -> None:
    """R10: a subscription on an old version keeps its term; only the flag changes."""
    trip = journey(
        [
            ev.purchase(
                "p", at("2027-01-01"), "S", "a", "true-image", "2025", license_type="subscription", term_months=12
            )
        ],
        catalog=TRUE_IMAGE,
    )
    trip.wait_until("2027-09-02")
    snapshot = trip.snapshot("S")
    assert (snapshot["status"], snapshot["version_supported"]) == ("active", False)
    assert "version_end_of_support" not in trip.kinds()


def test_due_ticks_have_deterministic_ids() -> None:
    snapshot = journey([ev.purchase("p", at("2025-03-15"), "S", "a", "backup-advanced", "12.5")]).snapshot("S")
    first = due_ticks(snapshot, at("2026-01-01"), at("2026-03-20"), Policy(), {})
    again = due_ticks(snapshot, at("2026-01-01"), at("2026-03-20"), Policy(), {})
    assert first == again
    assert [t["event_id"] for t in first] == [
        "tick:S:reminder:2026-02-13:30",
        "tick:S:reminder:2026-03-08:7",
        "tick:S:reminder:2026-03-14:1",
        "tick:S:expiry:2026-03-15",
    ]
