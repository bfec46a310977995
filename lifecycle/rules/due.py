"""What falls due for an entitlement as time passes (R10-R12): one answer for the processor and the scheduler."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol

from lifecycle.rules.calendar import day_start, days_before, iso_day, iso_instant
from lifecycle.rules.catalog import support_ends_on
from lifecycle.rules.model import Catalog, Policy, Snapshot
from lifecycle.rules.values import value
from schemas.codec import SCHEMA_VERSION

TICK_SOURCE = "lifecycle-scheduler"
# Transitions due at the same instant happen in this order: reminders, then the expiry, then the version check.
_RANK = {"reminder": 0, "expiry": 1, "version_check": 2}


class Dated(Protocol):
    """The facts of an entitlement that decide when its time transitions fall due."""

    @property
    def status(self) -> str: ...
    @property
    def program(self) -> str: ...
    @property
    def expires_on(self) -> date | None: ...
    @property
    def family(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def version_supported(self) -> bool: ...


@value
class SnapshotDates:
    """Those facts read from an entitlement snapshot (the scheduler's view of the entitlements topic)."""

    status: str
    program: str
    expires_on: date | None
    family: str
    version: str
    version_supported: bool

    @classmethod
    def of(cls, snapshot: Snapshot) -> SnapshotDates:
        support, product = snapshot["support"], snapshot["product"]
        expires_on = date.fromisoformat(support["expires_on"]) if support.get("expires_on") else None
        supported = bool(snapshot.get("version_supported", True))
        return cls(snapshot["status"], support["program"], expires_on, product["family"], product["version"], supported)


@value
class Due:
    """One time transition that falls due: when, what, and for a reminder how many days before the expiry."""

    at: datetime
    kind: str
    lead_days: int | None = None

    @property
    def day(self) -> date:
        return self.at.date()


def falls_due(entitlement: Dated, after: datetime, until: datetime, policy: Policy, catalog: Catalog) -> list[Due]:
    """The transitions due in (after, until], in due order; an overdue expiry or version end stays due."""
    return [
        d
        for d in due_schedule(entitlement, policy, catalog)
        if d.at <= until and (d.kind != "reminder" or after < d.at)
    ]


def due_schedule(entitlement: Dated, policy: Policy, catalog: Catalog) -> tuple[Due, ...]:
    """Every transition the entitlement has ahead or overdue, whenever it falls, in due order (see `falls_due`)."""
    # A serial's entitlement is asked for its schedule a few times while one event or tick is handled, unchanged in
    # between: the last answer is kept for the same objects (held here, so their ids are not reused meanwhile), as
    # one tuple replaced whole, so threads asking at once never see one's objects with another's answer. Catalogs
    # and policies are values: a new catalog is a new object (`catalog_from_releases`), never one changed in place.
    last_entitlement, last_catalog, last_policy, last_schedule = _last[0]
    if last_entitlement is entitlement and last_catalog is catalog and last_policy is policy:
        return last_schedule
    expires_on = entitlement.expires_on if entitlement.status == "active" else None
    lead_days = policy.lead_days(entitlement.program) if expires_on is not None else ()
    schedule = _schedule(expires_on, lead_days, version_end(entitlement, catalog))
    _last[0] = (entitlement, catalog, policy, schedule)
    return schedule


_last: list[tuple[object, object, object, tuple[Due, ...]]] = [(None, None, None, ())]


# Many serials share a schedule (the same expiry day, lead days and version end), and a serial asks for its own
# a few times an event: each schedule is made once and shared, as its values are never changed.
@lru_cache(maxsize=8192)
def _schedule(expires_on: date | None, lead_days: tuple[int, ...], ends_on: date | None) -> tuple[Due, ...]:
    due: list[Due] = []
    if expires_on is not None:
        for lead in lead_days:
            due.append(Due(day_start(days_before(expires_on, lead)), "reminder", lead))
        due.append(Due(day_start(expires_on), "expiry"))
    if ends_on is not None:
        due.append(Due(day_start(ends_on), "version_check"))
    if len(due) > 1:
        due.sort(key=lambda d: (d.at, _RANK[d.kind]))  # stable: reminders keep the policy's lead order
    return tuple(due)


def version_end(entitlement: Dated, catalog: Catalog) -> date | None:
    """The day this entitlement's version left (or leaves) the support lifecycle, if it still counts as supported."""
    if not entitlement.version_supported or entitlement.status == "superseded" or entitlement.family not in catalog:
        return None
    return support_ends_on(catalog, entitlement.family, entitlement.version)


def tick_id(serial: str, kind: str, due_on: date, lead_days: int | None = None) -> str:
    """The deterministic id of a tick (and of the time transition it stands for)."""
    suffix = f":{lead_days}" if lead_days is not None else ""
    return f"tick:{serial}:{kind}:{iso_day(due_on)}{suffix}"


def tick_event(serial: str, kind: str, due_on: date, lead_days: int | None = None) -> dict[str, Any]:
    """A tick event with its deterministic id: the same due tick is always the same event."""
    event: dict[str, Any] = {
        "event_id": tick_id(serial, kind, due_on, lead_days),
        "type": "tick",
        "schema_version": SCHEMA_VERSION,
        "occurred_at": iso_instant(day_start(due_on)),
        "source": TICK_SOURCE,
        "serial": serial,
        "kind": kind,
        "due_on": iso_day(due_on),
    }
    if lead_days is not None:
        event["lead_days"] = lead_days
    return event


def due_ticks(
    snapshot: Snapshot, after: datetime, until: datetime, policy: Policy, catalog: Catalog
) -> list[dict[str, Any]]:
    """The scheduler's ticks for this entitlement snapshot in (after, until], in due order."""
    return dated_ticks(snapshot["serial"], SnapshotDates.of(snapshot), after, until, policy, catalog)


def dated_ticks(
    serial: str, dates: Dated, after: datetime, until: datetime, policy: Policy, catalog: Catalog
) -> list[dict[str, Any]]:
    """The scheduler's ticks for the entitlement of `serial` with these facts in (after, until], in due order."""
    return [tick_event(serial, d.kind, d.day, d.lead_days) for d in falls_due(dates, after, until, policy, catalog)]
