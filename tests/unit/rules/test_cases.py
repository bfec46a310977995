"""R16 support cases: each rule traced to the FAQ answer it comes from."""

from __future__ import annotations

from typing import Any

import pytest
from journeys import Journey, at, journey

from lifecycle.rules import Release
from lifecycle.samples import events as ev


def _decision(trip: Journey, case_number: str) -> dict[str, Any]:
    [decision] = [d for d in trip.decisions if d["case_number"] == case_number]
    return decision


def _home(license_type: str = "perpetual", bought: str = "2025-01-01") -> list[dict[str, Any]]:
    term = 12 if license_type == "subscription" else None
    return [ev.purchase("p", at(bought), "S", "a", "true-image", "2025", "online_store", license_type, term)]


def _business(bought: str = "2025-01-01") -> list[dict[str, Any]]:
    return [ev.purchase("p", at(bought), "S", "a", "backup-advanced", "12.5")]


@pytest.mark.parametrize("channel", ["chat", "email"])
def test_customer_service_is_free_by_chat_or_email_for_any_known_serial(channel: str) -> None:
    """FAQ "How to submit an e-mail case?": "In case of customer Service ... support is provided for free"."""
    for events in (_home(), _business(bought="2007-01-01")):
        trip = journey([*events, ev.case("c", at("2026-06-01"), "S", "a", "CS-1", "customer_service", channel)])
        decision = _decision(trip, "CS-1")
        assert (decision["eligible"], decision["basis"], decision["channels"]) == (
            True,
            "customer_service",
            ["chat", "email"],
        )


def test_customer_service_is_not_taken_on_the_phone() -> None:
    """FAQ "How to get a phone support?": phone needs a valid subscription or a Pay Per Incident license."""
    trip = journey([*_home(), ev.case("c", at("2025-06-01"), "S", "a", "CS-2", "customer_service", "phone")])
    decision = _decision(trip, "CS-2")
    assert decision["eligible"] is False
    assert "use_chat_or_email" in decision["options"]


def test_advantage_premier_covers_every_channel_with_priority_and_24_hours_for_severity_a() -> None:
    """FAQ (Acronis Advantage): chat, e-mail and phone, 24x7, initial response within 24 hours for Severity A."""
    trip = journey([*_business(), ev.case("c", at("2025-06-01"), "S", "a", "T-1", "technical", "phone", "A")])
    decision = _decision(trip, "T-1")
    assert decision["eligible"] is True
    assert decision["basis"] == "advantage_premier"
    assert decision["channels"] == ["chat", "email", "phone"]
    assert (decision["priority"], decision["first_response_hours"]) == (True, 24)
    trip.send(ev.case("c2", at("2025-06-02"), "S", "a", "T-2", "technical", "email", "B"))
    assert _decision(trip, "T-2")["first_response_hours"] is None


def test_expired_advantage_offers_a_renewal_through_sales_or_a_partner() -> None:
    """FAQ: "If the support program has expired, one can renew it to continue receiving support"."""
    trip = journey([*_business(), ev.case("c", at("2026-02-01"), "S", "a", "T-3", "technical", "email")])
    decision = _decision(trip, "T-3")
    assert decision["eligible"] is False
    assert decision["reason"] == "the Acronis Advantage Premier program of serial S ended on 2026-01-01"
    assert decision["options"] == ["renew_advantage", "knowledge_base"]


def test_home_subscription_covers_phone_while_active() -> None:
    """FAQ: "chat, email and phone for subscriptions"."""
    trip = journey([*_home("subscription"), ev.case("c", at("2025-06-01"), "S", "a", "T-4", "technical", "phone")])
    decision = _decision(trip, "T-4")
    assert (decision["eligible"], decision["basis"], decision["priority"]) == (True, "home_subscription", False)


def test_home_perpetual_covers_chat_and_email_while_its_version_is_supported() -> None:
    """FAQ: "chat and email support channels for perpetual licenses" as per Support Lifecycle."""
    releases = (
        Release("true-image", "2026", at("2025-09-01").date()),
        Release("true-image", "2027", at("2026-09-01").date()),
    )
    trip = Journey({"true-image": releases})
    trip.send(*_home(), ev.case("c", at("2025-06-01"), "S", "a", "T-5", "technical", "chat"))
    assert _decision(trip, "T-5")["basis"] == "home_perpetual"
    trip.send(ev.case("c2", at("2026-10-01"), "S", "a", "T-6", "technical", "chat"))
    late = _decision(trip, "T-6")
    assert late["eligible"] is False
    assert late["reason"] == "version 2025 of serial S has left the support lifecycle"
    assert late["options"] == ["buy_ppi", "knowledge_base"]


def test_phone_on_a_home_perpetual_spends_a_pay_per_incident_credit_once_per_case() -> None:
    """FAQ: PPI gives "phone support and priority chat/email support" and "is valid for one support case"."""
    trip = journey(
        [
            *_home(),
            ev.ppi("i", at("2025-02-01"), "S", "a"),
            ev.case("c", at("2025-03-01"), "S", "a", "T-7", "technical", "phone"),
            ev.case("c-again", at("2025-03-02"), "S", "a", "T-7", "technical", "phone"),
        ]
    )
    decision = _decision(trip, "T-7")
    assert decision["basis"] == "ppi"
    assert (decision["ppi_credit_used"], decision["ppi_credits_left"], decision["priority"]) == (True, 0, True)
    assert trip.snapshot("S")["support"]["ppi_credits"] == 0
    assert trip.kinds("S").count("ppi_used") == 1
    trip.send(ev.case("c2", at("2025-03-03"), "S", "a", "T-8", "technical", "phone"))
    second = _decision(trip, "T-8")
    assert second["eligible"] is False
    assert second["options"] == ["buy_ppi", "use_chat_or_email", "knowledge_base"]


def test_recovery_issues_are_free_on_home_products_even_after_the_program_lapsed() -> None:
    """FAQ: Home support includes "free warranty support for recovery issues"."""
    trip = journey([*_home("subscription"), ev.case("c", at("2026-03-01"), "S", "a", "R-1", "recovery", "email")])
    decision = _decision(trip, "R-1")
    assert (decision["eligible"], decision["basis"], decision["channels"]) == (
        True,
        "recovery_warranty",
        ["chat", "email"],
    )


def test_oem_serials_are_sent_to_their_vendor() -> None:
    """FAQ: OEM editions have no vendor support program."""
    trip = journey(
        [
            ev.purchase("p", at("2025-01-01"), "S", "a", "discwizard", "1"),
            ev.case("c", at("2025-02-01"), "S", "a", "O-1", "customer_service", "email"),
        ]
    )
    decision = _decision(trip, "O-1")
    assert (decision["eligible"], decision["options"]) == (False, ["contact_oem_vendor", "knowledge_base"])


def test_a_case_for_an_unknown_serial_waits_for_its_purchase() -> None:
    """R14a: the case is held like other events that wait for their purchase, then decided."""
    trip = journey([ev.case("c", at("2025-06-01"), "S", "a", "T-9", "technical", "phone", "A")])
    assert trip.decisions == []
    assert [hold.event_id for hold in trip.states["S"].holds] == ["c"]
    trip.send(*_business())
    assert _decision(trip, "T-9")["basis"] == "advantage_premier"
