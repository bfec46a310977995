"""What falls due for an entitlement between two instants: the scheduler's ticks (R10-R12)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lifecycle.rules.calendar import day_start, iso_instant
from lifecycle.rules.catalog import support_ends_on
from lifecycle.rules.model import Catalog, Policy, Snapshot
from lifecycle.rules.timeflow import tick_id

TICK_SOURCE = "lifecycle-scheduler"


def tick_event(serial: str, kind: str, due_on: date, lead_days: int | None = None) -> dict[str, Any]:
    """A tick event with its deterministic id: the same due tick is always the same event."""
    event: dict[str, Any] = {
        "event_id": tick_id(serial, kind, due_on, lead_days),
        "type": "tick",
        "schema_version": 1,
        "occurred_at": iso_instant(day_start(due_on)),
        "source": TICK_SOURCE,
        "serial": serial,
        "kind": kind,
        "due_on": due_on.isoformat(),
    }
    if lead_days is not None:
        event["lead_days"] = lead_days
    return event


def due_ticks(
    snapshot: Snapshot, after: datetime, until: datetime, policy: Policy, catalog: Catalog
) -> list[dict[str, Any]]:
    """The ticks that fall due for this entitlement in (after, until], in due order."""
    serial, support = snapshot["serial"], snapshot["support"]
    ticks: list[tuple[date, int, dict[str, Any]]] = []
    expires_on = date.fromisoformat(support["expires_on"]) if support.get("expires_on") else None
    if snapshot["status"] == "active" and expires_on is not None:
        for lead in policy.lead_days(support["program"]):
            day = date.fromordinal(expires_on.toordinal() - lead)
            if after < day_start(day) <= until:
                ticks.append((day, 0, tick_event(serial, "reminder", day, lead)))
        if day_start(expires_on) <= until:
            # Overdue expiries are ticked again: the processor re-checks and a repeat is harmless.
            ticks.append((expires_on, 1, tick_event(serial, "expiry", expires_on)))
    if snapshot.get("version_supported", True) and snapshot["status"] != "superseded":
        product = snapshot["product"]
        ends_on = support_ends_on(catalog, product["family"], product["version"])
        if ends_on is not None and day_start(ends_on) <= until:
            ticks.append((ends_on, 2, tick_event(serial, "version_check", ends_on)))
    return [tick for _, _, tick in sorted(ticks, key=lambda t: (t[0], t[1]))]
