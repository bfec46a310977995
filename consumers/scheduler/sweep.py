"""One sweep: find what fell due since the watermark, publish the ticks, then advance the watermark.

The window of a sweep is (watermark, as_of]. Rows stored since the previous sweep looked (less a
margin for transactions that committed late) are examined from the beginning of time instead, so
an entitlement that reaches the store late still gets every tick it is owed. Expiries and version
checks that are overdue are ticked on every sweep until the processor acts on them (`due_ticks`
decides; the processor re-checks every tick). Reminders fall due at UTC midnight, so a sweep whose
window crosses no midnight only needs the overdue and the changed rows. Every sweep also ticks
each serial with an event held longer than the hold period (`hold_expiry_ticks` decides), whatever
the watermark: one tick id per serial and UTC day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.scheduler.queries import (
    Watermark,
    advance_watermark,
    candidates,
    database_now,
    held_since_cutoff,
    load_catalog,
    read_watermark,
    supported_versions,
)
from lifecycle.rules import Policy, due_ticks
from lifecycle.rules.catalog import support_ends_on
from lifecycle.rules.holds_due import hold_cutoff, hold_expiry_ticks

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rows stored up to this long before the previous sweep looked are examined again (late commits).
CHANGE_MARGIN = timedelta(minutes=10)

Publish = Callable[[Sequence[dict[str, Any]]], None]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep looked at and emitted."""

    after: datetime
    until: datetime
    candidates: int
    ticks: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "after": self.after.isoformat(),
            "as_of": self.until.isoformat(),
            "candidates": self.candidates,
            "ticks": len(self.ticks),
            "event_ids": [tick["event_id"] for tick in self.ticks],
        }


def crosses_midnight(after: datetime, until: datetime) -> bool:
    """Whether a UTC day begins in (after, until]."""
    day = until.astimezone(UTC).date()
    return after < datetime(day.year, day.month, day.day, tzinfo=UTC)


def longest_lead(policy: Policy) -> int:
    """The most days before expiry any reminder goes out."""
    return max((lead for leads in policy.reminder_lead_days.values() for lead in leads), default=0)


def _expiring_until(after: datetime, until: datetime, policy: Policy) -> date:
    day = until.astimezone(UTC).date()
    return day + timedelta(days=longest_lead(policy)) if crosses_midnight(after, until) else day


def find_due_ticks(
    connection: Connection, policy: Policy, as_of: datetime, since: datetime | None = None, *, hold_days: int
) -> tuple[SweepReport, Watermark]:
    """The ticks due as of `as_of`, and the watermark to store once they are published (reads only)."""
    rows_seen_at = database_now(connection)
    previous = read_watermark(connection)
    after = since or (previous.swept_until if previous else EPOCH)
    changed_since = previous.rows_seen_at - CHANGE_MARGIN if previous else None
    catalog = load_catalog(connection)
    versions = [
        (family, version)
        for family, version in supported_versions(connection)
        if support_ends_on(catalog, family, version) is not None
    ]
    found = candidates(
        connection,
        expiring_until=_expiring_until(after, as_of, policy),
        changed_since=changed_since,
        versions=versions,
    )
    held = held_since_cutoff(connection, hold_cutoff(as_of, hold_days))
    connection.rollback()  # end the read transaction before talking to Kafka
    ticks = [
        tick
        for candidate in found
        for tick in due_ticks(candidate.snapshot, EPOCH if candidate.changed else after, as_of, policy, catalog)
    ]
    ticks.extend(hold_expiry_ticks(held, as_of, hold_days))
    return SweepReport(after, as_of, len(found), ticks), Watermark(max(as_of, after), rows_seen_at)


def sweep(
    connection: Connection,
    publish: Publish,
    policy: Policy,
    as_of: datetime,
    since: datetime | None = None,
    *,
    hold_days: int,
) -> SweepReport:
    """Find, publish (flushed and acknowledged) and only then advance the watermark."""
    report, watermark = find_due_ticks(connection, policy, as_of, since, hold_days=hold_days)
    publish(report.ticks)
    advance_watermark(connection, watermark, len(report.ticks))
    log.info("swept (%s, %s]: %d candidates, %d ticks", report.after, as_of, report.candidates, len(report.ticks))
    return report
