"""The sample stream's rarities: rule breaks, legacy products and support cases of every category."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lifecycle.samples import events as ev
from lifecycle.samples.timeline import Timeline


def add_edge_cases(line: Timeline, next_id: Any) -> None:
    """Rule breaks and rarities the rules must handle."""
    at = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
    # R2: a Business product bought before 2009-03-02 has no program until a renewal is registered.
    legacy = ev.purchase(
        next_id("pur"),
        datetime(2008, 11, 3, 10, 0, tzinfo=UTC),
        "SN-LEGACY",
        "acct-legacy",
        "backup-advanced",
        "10",
        channel="partner",
        amount="599.00",
    )
    line.add(legacy, arrives=at)
    line.add(
        ev.renewal(next_id("ren"), at + timedelta(days=1), "SN-LEGACY", "acct-legacy", "ro-legacy-1", 12, "partner")
    )
    line.add(
        ev.registration(
            next_id("reg"), at + timedelta(days=2), "SN-LEGACY", "acct-legacy", renewal_order_id="ro-legacy-1"
        )
    )
    # R6: PPI for a Business product, and for an unknown serial: refused.
    line.add(ev.purchase(next_id("pur"), at, "SN-EDGE-B", "acct-edge", "backup-advanced", "12.5", amount="899.00"))
    line.add(ev.purchase(next_id("pur"), at, "SN-EDGE-H", "acct-edge", "true-image", "2024"))
    line.add(ev.ppi(next_id("ppi"), at + timedelta(days=3), "SN-EDGE-B", "acct-edge"))
    line.add(ev.ppi(next_id("ppi"), at + timedelta(days=4), "SN-NOPE", "acct-x"))
    # R8: a renewal of a Home perpetual license, and of an unknown serial: refused.
    line.add(
        ev.renewal(next_id("ren"), at + timedelta(days=5), "SN-EDGE-H", "acct-edge", "ro-edge-h", 12, "online_store")
    )
    line.add(ev.renewal(next_id("ren"), at + timedelta(days=6), "SN-GHOST", "acct-x", "ro-ghost", 12, "sales"))
    # R9: a Home perpetual license has no free upgrades: denied.
    line.add(
        ev.upgrade(
            next_id("upg"), at + timedelta(days=7), "SN-EDGE-H", "acct-edge", "SN-EDGE-H-U", "true-image", "2025"
        )
    )


def add_support_cases(line: Timeline, next_id: Any) -> None:
    """R16: cases of every category the CRM opens, and what each is entitled to (the edge serials above)."""
    at = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
    oem = ev.purchase(next_id("pur"), at - timedelta(days=20), "SN-EDGE-O", "acct-edge", "discwizard", "2024")
    line.add(oem)
    line.add(ev.ppi(next_id("ppi"), at - timedelta(days=1), "SN-EDGE-H", "acct-edge"))
    cases = [
        ("SN-EDGE-B", "technical", "phone", "A", 0),  # Advantage Premier: priority, 24 hours
        ("SN-EDGE-H", "technical", "chat", "C", 1),  # Home perpetual: chat and e-mail
        ("SN-EDGE-H", "technical", "phone", "B", 2),  # phone: the Pay Per Incident credit is spent
        ("SN-EDGE-H", "technical", "phone", "B", 2),  # the same case again: nothing spent twice
        ("SN-EDGE-H", "technical", "phone", "C", 3),  # no credit left: buy one, or chat and e-mail
        ("SN-EDGE-H", "recovery", "email", "B", 4),  # the recovery warranty
        ("SN-EDGE-H", "customer_service", "phone", "D", 5),  # customer service is by chat or e-mail
        ("SN-EDGE-B", "customer_service", "email", "D", 6),
        ("SN-EDGE-O", "technical", "email", "B", 7),  # OEM: its vendor gives support
        ("SN-EDGE-B", "technical", "email", "B", 400),  # the included year has ended: renew Advantage
    ]
    for serial, category, channel, severity, day in cases:
        number = f"CASE-{day:03d}"
        case = ev.case(
            next_id("case"), at + timedelta(days=day), serial, "acct-edge", number, category, channel, severity
        )
        line.add(case)
    # A case can reach the pipeline before the purchase record it needs (R14a): held, then decided.
    late = ev.purchase(next_id("pur"), at, "SN-EDGE-L", "acct-edge", "true-image", "2024")
    line.add(late, arrives=at + timedelta(days=2))
    line.add(
        ev.case(next_id("case"), at + timedelta(hours=1), "SN-EDGE-L", "acct-edge", "CASE-L", "technical", "email")
    )
