"""The passage of time for one serial: reminders, expiry and end of version support (R10-R12)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from lifecycle.rules.calendar import day_start, days_before, iso_instant
from lifecycle.rules.catalog import support_ends_on, version_key
from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.fold import Fold
from lifecycle.rules.model import Catalog, Notice, Policy, evolve
from lifecycle.rules.notices import notice

_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


def tick_id(serial: str, kind: str, due_on: date, lead_days: int | None = None) -> str:
    """The deterministic id of a tick (and of the time transition it stands for)."""
    suffix = f":{lead_days}" if lead_days is not None else ""
    return f"tick:{serial}:{kind}:{due_on.isoformat()}{suffix}"


def version_end(entitlement: Entitlement, catalog: Catalog) -> date | None:
    """The day this entitlement's version left (or leaves) the support lifecycle, if it still counts as supported."""
    if not entitlement.version_supported or entitlement.status == "superseded":
        return None
    return support_ends_on(catalog, entitlement.family, entitlement.version)


def advance_fold(fold: Fold, until: datetime, catalog: Catalog, policy: Policy) -> tuple[Fold, list[Notice]]:
    """Fire everything due in (fold.clock, until]; overdue version ends are caught up too."""
    if fold.clock is None:
        return evolve(fold, clock=until), []
    until = max(until, fold.clock)
    entitlement, since, notices = fold.entitlement, fold.clock, []
    while entitlement is not None:
        due = _next_due(entitlement, since, until, catalog, policy)
        if due is None:
            break
        moment, kind, lead = due
        entitlement, fired = _transition(entitlement, moment, kind, lead, catalog)
        notices.extend(fired)
        since = max(since, moment)
    if entitlement is fold.entitlement and until == fold.clock:
        return fold, notices
    return evolve(fold, entitlement=entitlement, clock=until), notices


def next_transition_at(entitlement: Entitlement, since: datetime, catalog: Catalog, policy: Policy) -> datetime | None:
    """The instant of the next transition after `since`, if any."""
    due = _next_due(entitlement, since, _END_OF_TIME, catalog, policy)
    return None if due is None else max(due[0], since)


@lru_cache(maxsize=65536)
def _reminder_instants(expires_on: date, lead_days: tuple[int, ...]) -> tuple[tuple[datetime, int], ...]:
    return tuple((day_start(days_before(expires_on, lead)), lead) for lead in lead_days)


def _next_due(
    entitlement: Entitlement, since: datetime, until: datetime, catalog: Catalog, policy: Policy
) -> tuple[datetime, str, int | None] | None:
    """The earliest transition due after `since` and by `until`: (instant, kind, lead days)."""
    best: tuple[datetime, int, str, int | None] | None = None
    if entitlement.status == "active" and entitlement.expires_on:
        for reminder_at, lead_days in _reminder_instants(entitlement.expires_on, policy.lead_days(entitlement.program)):
            if since < reminder_at <= until and (best is None or reminder_at < best[0]):
                best = (reminder_at, 0, "reminder", lead_days)
        expires_at = day_start(entitlement.expires_on)
        if expires_at <= until and (best is None or (expires_at, 1) < (best[0], best[1])):
            best = (expires_at, 1, "expiry", None)
    if entitlement.family in catalog:
        ends_on = version_end(entitlement, catalog)
        if ends_on is not None:
            ends_at = day_start(ends_on)
            if ends_at <= until and (best is None or (ends_at, 2) < (best[0], best[1])):
                best = (ends_at, 2, "version_check", None)
    return None if best is None else (best[0], best[2], best[3])


def _transition(
    entitlement: Entitlement, moment: datetime, kind: str, lead: int | None, catalog: Catalog
) -> tuple[Entitlement, list[Notice]]:
    """Apply one due transition at `moment`."""
    day = moment.date()
    if kind == "reminder":
        key = f"{entitlement.expires_on}:{lead}"
        return entitlement, [notice("expiry_reminder", entitlement, day, key, lead_days=lead)]
    stamp = {"updated_at": iso_instant(moment), "last_event_id": tick_id(entitlement.serial, kind, day, lead)}
    if kind == "expiry":
        # R11: support ends on expires_on, and free upgrades with it.
        expired = evolve(entitlement, status="expired", **stamp)
        return expired, [notice("support_expired", expired, day, day.isoformat())]
    # R10: the version left the support lifecycle; a Home perpetual license's support ends with it.
    ended = evolve(entitlement, version_supported=False, **stamp)
    if ended.program == "home_perpetual" and ended.status == "active":
        ended = evolve(ended, status="version_unsupported")
        newest = max((r.version for r in catalog.get(ended.family, ())), key=version_key, default=None)
        return ended, [notice("version_end_of_support", ended, day, ended.version, current_version=newest)]
    return ended, []
