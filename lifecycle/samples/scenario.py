"""The sample traffic: a few years of a small vendor's events, every rule and product line exercised.

Deterministic (a fixed seed): the demo and the tests use the same stream. It holds duplicates
(events sent twice) and out-of-order arrivals (registrations before purchases, renewal
registrations before their orders, late events), and some events the rules must reject.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from lifecycle.samples import events as ev
from lifecycle.samples.edge_cases import add_edge_cases, add_support_cases
from lifecycle.samples.timeline import END, Timeline

START = datetime(2023, 1, 9, 9, 0, tzinfo=UTC)
SEED = 20260315
FIRST_NAMES = ("Ada", "Grace", "Linus", "Ken", "Barbara", "Edsger", "Frances", "Donald", "Radia", "Leslie")


def _contact(rng: random.Random, account: str) -> dict[str, str]:
    name = rng.choice(FIRST_NAMES)
    return {"email": f"{account}@customers.example.com", "name": f"{name} {account.upper()}"}


def build_sample() -> list[dict[str, Any]]:
    """The sample stream, in arrival order."""
    rng = random.Random(SEED)
    line = Timeline()
    counter = iter(range(1, 100_000))

    def next_id(prefix: str) -> str:
        return f"{prefix}-{next(counter):05d}"

    def moment(low: datetime, high: datetime) -> datetime:
        seconds = int((high - low).total_seconds())
        return low + timedelta(seconds=rng.randrange(max(seconds, 1)))

    # R10: releases of every family; two a family over the years, so older versions leave support.
    for name, versions in {
        "true-image": ("2023", "2024", "2025", "2026"),
        "disk-director": ("12", "12.5", "13"),
        "backup-advanced": ("11.5", "12", "12.5"),
        "backup-vmware": ("11", "12"),
        "snap-deploy": ("5", "6"),
    }.items():
        for index, version in enumerate(versions):
            released = (
                datetime(2023 + index, 9, 1, 8, 0, tzinfo=UTC)
                if name == "true-image"
                else START + timedelta(days=300 * index)
            )
            line.add(ev.release(next_id("rel"), released, name, version))

    for index in range(150):
        account = f"acct-{index:03d}"
        serial = f"SN-{index:04d}"
        contact = _contact(rng, account)
        bought = moment(START, END - timedelta(days=30))
        kind = index % 10
        if kind in (0, 1, 2):  # Business, online store: a year of Advantage Premier (R2, R3)
            line.add(
                ev.purchase(
                    next_id("pur"),
                    bought,
                    serial,
                    account,
                    "backup-advanced",
                    rng.choice(("12", "12.5")),
                    quantity=rng.randint(1, 5),
                    contact=contact,
                    amount="899.00",
                )
            )
            _business_aftercare(line, rng, next_id, serial, account, bought)
        elif kind == 3:  # Business, boxed retail: support starts at registration (R1)
            line.add(
                ev.purchase(
                    next_id("pur"),
                    bought,
                    serial,
                    account,
                    "backup-vmware",
                    "12",
                    channel="retail_box",
                    contact=contact,
                    amount="1299.00",
                )
            )
            registered = bought + timedelta(days=rng.randint(1, 40))
            reg = ev.registration(next_id("reg"), registered, serial, account, contact=contact)
            # Half of them arrive before the purchase record (R14).
            line.add(reg, arrives=bought - timedelta(hours=1) if index % 20 == 3 else None)
            _business_aftercare(line, rng, next_id, serial, account, registered)
        elif kind in (4, 5):  # Home perpetual, online or boxed (R4, R10)
            channel = "online_store" if kind == 4 else "retail_box"
            version = rng.choice(("2023", "2024", "2025"))
            line.add(
                ev.purchase(
                    next_id("pur"), bought, serial, account, "true-image", version, channel=channel, contact=contact
                )
            )
            if channel == "retail_box" and index % 3:
                line.add(ev.registration(next_id("reg"), bought + timedelta(days=rng.randint(0, 20)), serial, account))
            if index % 4 == 0:  # R6: Pay Per Incident for a registered Home product
                line.add(ev.ppi(next_id("ppi"), bought + timedelta(days=rng.randint(60, 400)), serial, account))
        elif kind in (6, 7):  # Home subscription (R5), renewed online sometimes (R8)
            line.add(
                ev.purchase(
                    next_id("pur"),
                    bought,
                    serial,
                    account,
                    "true-image",
                    "2025",
                    license_type="subscription",
                    term_months=12,
                    contact=contact,
                    amount="59.99",
                )
            )
            if index % 3 == 0:
                at = bought + timedelta(days=rng.randint(300, 420))
                line.add(ev.renewal(next_id("ren"), at, serial, account, f"ro-{serial}-1", 12, "online_store"))
        elif kind == 8:  # OEM: no vendor support (R7); a renewal for it is refused
            line.add(
                ev.purchase(
                    next_id("pur"),
                    bought,
                    serial,
                    account,
                    rng.choice(("discwizard", "maxblast")),
                    "5",
                    channel="partner",
                    contact=contact,
                    amount="0.00",
                )
            )
            if index % 20 == 8:
                line.add(ev.renewal(next_id("ren"), bought + timedelta(days=90), serial, account, f"ro-{serial}-1"))
        else:  # Partner-sold Home perpetual product (documented assumption: starts on the purchase date)
            line.add(
                ev.purchase(
                    next_id("pur"), bought, serial, account, "disk-director", "12.5", channel="partner", contact=contact
                )
            )

    add_edge_cases(line, next_id)
    add_support_cases(line, next_id)
    events = line.events()
    # Duplicates: some events are delivered twice (R13).
    for position in range(7, len(events), 37):
        events.insert(position + 3, dict(events[position]))
    return events


def _business_aftercare(
    line: Timeline, rng: random.Random, next_id: Any, serial: str, account: str, start: datetime
) -> None:
    """Renewals through Sales with registration, upgrades while active, and lapses."""
    expiry = start + timedelta(days=365)
    choice = rng.randrange(4)
    if choice == 0:  # renewed through Sales, registered in time (R8)
        order = f"ro-{serial}-1"
        ordered = expiry - timedelta(days=rng.randint(5, 40))
        line.add(ev.renewal(next_id("ren"), ordered, serial, account, order, 12, "sales"))
        registered = ordered + timedelta(days=rng.randint(1, 10))
        # Sometimes the registration of the order arrives before the order itself (R14).
        line.add(
            ev.registration(next_id("reg"), registered, serial, account, renewal_order_id=order),
            arrives=ordered - timedelta(hours=2) if rng.random() < 0.4 else None,
        )
    elif choice == 1:  # free upgrade while active (R9)
        at = start + timedelta(days=rng.randint(30, 300))
        line.add(ev.upgrade(next_id("upg"), at, serial, account, f"{serial}-U", "backup-advanced", "12.5"))
    elif choice == 2:  # lapsed, then an upgrade is denied and a partner renewal registered later (R9, R8)
        line.add(
            ev.upgrade(
                next_id("upg"), expiry + timedelta(days=20), serial, account, f"{serial}-U", "backup-advanced", "12.5"
            )
        )
        order = f"ro-{serial}-1"
        ordered = expiry + timedelta(days=45)
        line.add(ev.renewal(next_id("ren"), ordered, serial, account, order, 12, "partner"))
        line.add(ev.registration(next_id("reg"), ordered + timedelta(days=3), serial, account, renewal_order_id=order))
    # choice 3: left to expire (R11)
