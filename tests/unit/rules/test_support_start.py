"""R1, R2, R4, R5, R7: when support starts and which program a purchase includes."""

from __future__ import annotations

import pytest
from journeys import at, journey

from lifecycle.samples import events as ev


@pytest.mark.parametrize(
    ("channel", "expected_status", "expected_start"),
    [
        # FAQ "When does my support period begin?": online store purchases start on the purchase date.
        ("online_store", "active", "2026-03-15"),
        # Design R1 (documented assumption): partner purchases start on the purchase date too.
        ("partner", "active", "2026-03-15"),
        # FAQ: boxed retail products must be registered to activate the entitlement.
        ("retail_box", "pending_registration", None),
    ],
)
def test_support_starts_by_channel(channel: str, expected_status: str, expected_start: str | None) -> None:
    trip = journey([ev.purchase("p", at("2026-03-15T10:20"), "S", "a", "backup-advanced", "12.5", channel=channel)])
    snapshot = trip.snapshot("S")
    assert snapshot["status"] == expected_status
    assert snapshot["support"]["starts_on"] == expected_start
    assert trip.kinds() == (["support_started"] if expected_start else [])


def test_boxed_product_starts_on_its_registration_date() -> None:
    """FAQ: register the serial number to activate the entitlement; support runs from then."""
    trip = journey(
        [
            ev.purchase("p", at("2026-01-05"), "S", "shop", "true-image", "2026", channel="retail_box"),
            ev.registration("r", at("2026-02-20T08:00"), "S", "buyer"),
        ]
    )
    snapshot = trip.snapshot("S")
    assert (snapshot["status"], snapshot["support"]["starts_on"], snapshot["account_id"]) == (
        "active",
        "2026-02-20",
        "buyer",
    )
    assert snapshot["registered_at"] == "2026-02-20T08:00:00Z"


@pytest.mark.parametrize(
    ("purchased", "program", "status", "expires"),
    [
        # FAQ "Is there a way to purchase Acronis Business products without a support agreement?":
        # effective March 2, 2009 all Business products include the first year of Acronis Advantage.
        ("2009-03-02", "advantage_premier", "active", "2010-03-02"),
        ("2009-03-01", "none", "no_support", None),
    ],
)
def test_business_includes_a_year_since_march_2009(
    purchased: str, program: str, status: str, expires: str | None
) -> None:
    trip = journey([ev.purchase("p", at(purchased), "S", "a", "backup-advanced", "10")])
    support = trip.snapshot("S")["support"]
    assert (support["program"], trip.snapshot("S")["status"], support["expires_on"]) == (program, status, expires)


def test_advantage_premier_terms() -> None:
    """FAQ: Advantage Premier is 24 x 7 chat, email and phone with priority support (R3)."""
    support = journey([ev.purchase("p", at("2026-01-01"), "S", "a", "backup-advanced", "12.5")]).snapshot("S")[
        "support"
    ]
    assert support["channels"] == ["chat", "email", "phone"]
    assert (support["hours"], support["priority"], support["free_upgrades"]) == ("24x7", True, True)


def test_home_perpetual_terms() -> None:
    """FAQ: perpetual Home licenses get chat and email during the Support Lifecycle, and recovery warranty (R4)."""
    snapshot = journey([ev.purchase("p", at("2026-01-01"), "S", "a", "true-image", "2026")]).snapshot("S")
    support = snapshot["support"]
    assert (support["program"], support["channels"], support["expires_on"]) == (
        "home_perpetual",
        ["chat", "email"],
        None,
    )
    assert support["recovery_warranty"] is True
    assert support["priority"] is False


def test_home_subscription_terms() -> None:
    """FAQ: subscriptions add phone to chat and email, for the term (R5)."""
    trip = journey(
        [
            ev.purchase(
                "p", at("2024-02-29"), "S", "a", "true-image", "2024", license_type="subscription", term_months=12
            )
        ]
    )
    support = trip.snapshot("S")["support"]
    assert (support["program"], support["channels"]) == ("home_subscription", ["chat", "email", "phone"])
    assert (support["starts_on"], support["expires_on"]) == ("2024-02-29", "2025-02-28")


def test_oem_has_no_vendor_support() -> None:
    """FAQ "Can I get support for OEM products?": contact the OEM vendor; knowledge base only (R7)."""
    trip = journey([ev.purchase("p", at("2026-01-01"), "S", "a", "discwizard", "5", channel="partner")])
    snapshot = trip.snapshot("S")
    assert (snapshot["status"], snapshot["support"]["program"], snapshot["support"]["channels"]) == (
        "no_support",
        "none",
        [],
    )
    assert trip.notices == []


def test_second_purchase_of_a_serial_is_rejected() -> None:
    trip = journey(
        [
            ev.purchase("p1", at("2026-01-01"), "S", "a", "true-image", "2026"),
            ev.purchase("p2", at("2026-01-02"), "S", "a", "true-image", "2026"),
        ]
    )
    assert trip.rejections == ["serial S was already purchased (order order-p1)"]
