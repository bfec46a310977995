"""Large synthetic event streams for benchmarks: many serials, a realistic mix, all valid."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lifecycle.samples import events as ev

_ORIGIN = datetime(2022, 1, 3, tzinfo=UTC)


def synthetic_events(count: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """`count` events over about four years: purchases, registrations, renewals, PPI and upgrades."""
    rng = random.Random(seed)
    step = timedelta(days=4 * 365) / max(count, 1)
    serials: list[tuple[str, str, str]] = []  # (serial, account, kind)
    for number in range(count):
        at = _ORIGIN + step * number
        roll = rng.random()
        if not serials or roll < 0.45:
            serial, account = f"SY-{number:08d}", f"ac-{rng.randrange(count // 3 + 1):07d}"
            kind = rng.choice(("business", "business", "home-sub", "home-perp", "retail", "oem"))
            serials.append((serial, account, kind))
            yield _purchase(number, at, serial, account, kind)
            continue
        serial, account, kind = serials[rng.randrange(len(serials))]
        event_id = f"sy-{number:08d}"
        if roll < 0.65:
            yield ev.registration(event_id, at, serial, account)
        elif roll < 0.85 and kind in ("business", "home-sub"):
            channel = rng.choice(("online_store", "sales"))
            yield ev.renewal(event_id, at, serial, account, f"ro-{event_id}", 12, channel)
        elif roll < 0.92 and kind == "home-perp":
            yield ev.ppi(event_id, at, serial, account)
        elif roll < 0.95 and kind == "business":
            yield ev.upgrade(event_id, at, serial, account, f"{serial}-u{number}", "backup-advanced", "12.5")
        else:
            yield ev.registration(event_id, at, serial, account, renewal_order_id=f"ro-sy-{number - 1:08d}")


def _purchase(number: int, at: datetime, serial: str, account: str, kind: str) -> dict[str, Any]:
    event_id = f"sy-{number:08d}"
    if kind == "business":
        return ev.purchase(event_id, at, serial, account, "backup-advanced", "12", quantity=3, amount="899.00")
    if kind == "home-sub":
        return ev.purchase(
            event_id, at, serial, account, "true-image", "2025", license_type="subscription", term_months=12
        )
    if kind == "retail":
        return ev.purchase(event_id, at, serial, account, "backup-vmware", "12", channel="retail_box")
    if kind == "oem":
        return ev.purchase(event_id, at, serial, account, "discwizard", "5", channel="partner", amount="0.00")
    return ev.purchase(event_id, at, serial, account, "true-image", "2024")
