"""The passage of time for one serial: the transitions `due.falls_due` names, applied in due order (R10-R12)."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.rules.calendar import iso_day, iso_instant
from lifecycle.rules.catalog import version_key
from lifecycle.rules.due import Due, due_schedule, tick_id
from lifecycle.rules.entitlement import Entitlement
from lifecycle.rules.fold import Fold
from lifecycle.rules.model import Catalog, Notice, Policy
from lifecycle.rules.notices import notice
from lifecycle.rules.values import evolve

_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


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
        entitlement, fired = _transition(entitlement, due.at, due.kind, due.lead_days, catalog)
        notices.extend(fired)
        since = max(since, due.at)
    if entitlement is fold.entitlement and until == fold.clock:
        return fold, notices
    return evolve(fold, entitlement=entitlement, clock=until), notices


def overdue(fold: Fold, catalog: Catalog, policy: Policy) -> bool:
    """A transition due by the fold's clock and not fired: the catalog named it after the fold got there.

    Time passing fires everything due up to the clock, so nothing else leaves one behind.
    """
    if fold.entitlement is None or fold.clock is None:
        return False
    return _next_due(fold.entitlement, fold.clock, fold.clock, catalog, policy) is not None


def next_transition_at(entitlement: Entitlement, since: datetime, catalog: Catalog, policy: Policy) -> datetime | None:
    """The instant of the next transition after `since`, if any."""
    due = _next_due(entitlement, since, _END_OF_TIME, catalog, policy)
    return None if due is None else max(due.at, since)


def _next_due(
    entitlement: Entitlement, since: datetime, until: datetime, catalog: Catalog, policy: Policy
) -> Due | None:
    """The earliest transition due after `since` and by `until` (what `falls_due` would name first)."""
    for due in due_schedule(entitlement, policy, catalog):
        if due.at > until:
            return None
        if due.kind != "reminder" or since < due.at:
            return due
    return None


def _transition(
    entitlement: Entitlement, moment: datetime, kind: str, lead: int | None, catalog: Catalog
) -> tuple[Entitlement, list[Notice]]:
    """Apply one due transition at `moment`."""
    day = moment.date()
    if kind == "reminder":
        expires = iso_day(entitlement.expires_on) if entitlement.expires_on else None  # a reminder comes before one
        return entitlement, [notice("expiry_reminder", entitlement, day, f"{expires}:{lead}", lead_days=lead)]
    stamp = {"updated_at": iso_instant(moment), "last_event_id": tick_id(entitlement.serial, kind, day, lead)}
    if kind == "expiry":
        # R11: support ends on expires_on, and free upgrades with it.
        expired = evolve(entitlement, status="expired", **stamp)
        return expired, [notice("support_expired", expired, day, iso_day(day))]
    # R10: the version left the support lifecycle; a Home perpetual license's support ends with it.
    ended = evolve(entitlement, version_supported=False, **stamp)
    if ended.program == "home_perpetual" and ended.status == "active":
        ended = evolve(ended, status="version_unsupported")
        newest = max((r.version for r in catalog.get(ended.family, ())), key=version_key, default=None)
        return ended, [notice("version_end_of_support", ended, day, ended.version, current_version=newest)]
    return ended, []
