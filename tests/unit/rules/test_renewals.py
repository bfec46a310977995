"""R8: renewals of Advantage Premier and Home subscriptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from journeys import at, journey

from lifecycle.samples import events as ev

BUSINESS = ev.purchase("p", at("2025-03-15"), "S", "a", "backup-advanced", "12.5")


def test_online_renewal_takes_effect_on_its_order_date_and_extends_from_expiry() -> None:
    """FAQ: renew the program to continue receiving support; the new expiry extends the current one."""
    trip = journey([BUSINESS, ev.renewal("n", at("2026-02-01"), "S", "a", "ro1", 12, "online_store")])
    support = trip.snapshot("S")["support"]
    assert (support["starts_on"], support["expires_on"]) == ("2025-03-15", "2027-03-15")
    assert trip.kinds()[-1] == "renewal_confirmed"
    assert trip.notices[-1]["data"]["new_expires_on"] == "2027-03-15"


def test_sales_renewal_waits_for_its_registration() -> None:
    """FAQ "Are there separate license numbers for Advantage programs?": the renewal order must be registered."""
    trip = journey([BUSINESS, ev.renewal("n", at("2026-02-01"), "S", "a", "ro1", 12, "sales")])
    snapshot = trip.snapshot("S")
    assert snapshot["support"]["expires_on"] == "2026-03-15"
    assert snapshot["pending_renewals"] == [{"renewal_order_id": "ro1", "term_months": 12}]
    trip.send(ev.registration("r", at("2026-02-10"), "S", "a", renewal_order_id="ro1"))
    snapshot = trip.snapshot("S")
    assert (snapshot["support"]["expires_on"], snapshot["pending_renewals"]) == ("2027-03-15", [])


def test_renewal_after_a_lapse_runs_from_its_effective_date() -> None:
    """FAQ "My support subscription expired a while ago": renew through Sales or a Partner.

    The new expiry runs from the later of the old expiry and the effective date (R8).
    """
    trip = journey([BUSINESS])
    trip.wait_until("2026-05-01")
    assert trip.snapshot("S")["status"] == "expired"
    trip.send(
        ev.renewal("n", at("2026-05-02"), "S", "a", "ro1", 12, "partner"),
        ev.registration("r", at("2026-05-04"), "S", "a", renewal_order_id="ro1"),
    )
    snapshot = trip.snapshot("S")
    assert (snapshot["status"], snapshot["support"]["starts_on"], snapshot["support"]["expires_on"]) == (
        "active",
        "2026-05-04",
        "2027-05-04",
    )


def test_renewal_registers_a_legacy_business_program() -> None:
    """R2: a pre-2009 Business purchase has no program until a renewal is registered."""
    trip = journey(
        [
            ev.purchase("p", at("2008-06-01"), "S", "a", "backup-advanced", "10", channel="partner"),
            ev.renewal("n", at("2024-01-10"), "S", "a", "ro1", 12, "sales"),
            ev.registration("r", at("2024-01-12"), "S", "a", renewal_order_id="ro1"),
        ]
    )
    support = trip.snapshot("S")["support"]
    assert (trip.snapshot("S")["status"], support["program"], support["expires_on"]) == (
        "active",
        "advantage_premier",
        "2025-01-12",
    )


@pytest.mark.parametrize(
    ("purchase", "reason"),
    [
        (ev.purchase("p", at("2025-01-01"), "S", "a", "true-image", "2025"), "Home perpetual license"),
        (ev.purchase("p", at("2025-01-01"), "S", "a", "maxblast", "5", channel="partner"), "OEM product"),
    ],
)
def test_renewal_of_what_cannot_renew_is_rejected(purchase: dict[str, object], reason: str) -> None:
    trip = journey([purchase, ev.renewal("n", at("2025-06-01"), "S", "a", "ro1", 12, "online_store")])
    assert len(trip.rejections) == 1
    assert reason in trip.rejections[0]


def test_renewal_of_unknown_serial_waits_for_its_purchase() -> None:
    """R14a: a renewal that overtook its purchase is held, not refused; nothing is known of the serial yet."""
    trip = journey([ev.renewal("n", at("2025-06-01"), "NOPE", "a", "ro1", 12, "sales")])
    assert trip.rejections == []
    assert [hold.event_id for hold in trip.states["NOPE"].holds] == ["n"]
    assert trip.states["NOPE"].snapshot is None


def test_renewals_that_would_run_support_past_the_last_expiry_are_refused() -> None:
    """Stacked 10-year renewals from the contract's last year stay dates: refused past 2200-12-31, not a crash."""
    trip = journey([ev.purchase("p", at("2100-12-31"), "S", "a", "backup-advanced", "12.5")])
    for number in range(11):
        trip.send(
            ev.renewal(f"n{number:02}", at(f"2100-12-31T10:{number:02}"), "S", "a", f"ro{number}", 120, "online_store")
        )
    assert trip.snapshot("S")["support"]["expires_on"] == "2191-12-31"
    assert trip.rejections == ["term_months: 120 more months from 2191-12-31 end after 2200-12-31"] * 2


def test_a_serial_remembers_its_latest_orders_and_renews_once_per_order() -> None:
    """The same order sent again (a new event) renews once; a serial keeps only its latest ORDERS_REMEMBERED orders."""
    from lifecycle.rules.fold_codec import entitlement_from_dict, entitlement_to_dict
    from lifecycle.rules.support import ORDERS_REMEMBERED

    events = [
        ev.purchase("p", at("2025-01-01"), "S", "a", "true-image", "2025", license_type="subscription", term_months=12)
    ]
    count = ORDERS_REMEMBERED + 5
    hour = timedelta(hours=1)
    events += [
        ev.renewal(f"n{i}", at("2025-02-01") + i * hour, "S", "a", f"ro{i:04d}", 1, "online_store")
        for i in range(count)
    ]
    events.append(
        ev.renewal("again", at("2025-02-01") + count * hour, "S", "a", f"ro{count - 1:04d}", 1, "online_store")
    )
    trip = journey(events)
    assert trip.kinds().count("renewal_confirmed") == count
    entitlement = trip.states["S"].fold.entitlement
    # The purchase's order and the first renewals' are let go: one order more than renewals, oldest first.
    assert entitlement.applied_orders == tuple(f"ro{i:04d}" for i in range(count - ORDERS_REMEMBERED, count))
    assert entitlement_from_dict(entitlement_to_dict(entitlement)) == entitlement  # the order applied survives
