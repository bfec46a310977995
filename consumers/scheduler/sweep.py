"""One sweep: find what fell due since the watermark, publish what was not sent before, note it, advance.

The window of a sweep is (watermark, as_of]. Rows stored since the previous sweep looked (less a
margin for transactions that committed late) are examined from LOOKBACK_DAYS before as_of instead,
so an entitlement that reaches the store late still gets every tick it is owed. Expiries and
version checks that are overdue stay due until the processor acts on them (`due_ticks` decides;
the processor re-checks every tick). Reminders fall due at UTC midnight, so a sweep whose window
crosses no midnight only needs the overdue and the changed rows. Every sweep also ticks each serial
with an event held longer than the hold period (`hold_expiry_ticks` decides): one tick id per serial
and UTC day. A due tick the tick contract refuses (a stored row no tick can be made of) is left out
(logged the first time, counted in each sweep's summary), and the rest of the sweep goes on (`refusals.valid_ticks`).

The tick ledger (`scheduler_ticks`) keeps what was sent: each due tick is published once, and an
overdue expiry or version check again at most once per UTC day of the sweep, so neither a row that
changes often nor a worker that was down for hours brings a flood of repeated ticks. `--since`
sweeps from an instant and sends again what was sent before.
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
    record_sent,
    sent_days,
    supported_versions,
)
from consumers.scheduler.refusals import valid_ticks
from lifecycle.rules import Policy, due_ticks
from lifecycle.rules.calendar import utc_day
from lifecycle.rules.catalog import support_ends_on
from lifecycle.rules.holds_due import hold_cutoff, hold_expiry_ticks

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rows stored up to this long before the previous sweep looked are examined again (late commits).
CHANGE_MARGIN = timedelta(minutes=10)
# How far back a changed row's ticks are looked for, and how long the ledger remembers a tick it sent.
LOOKBACK_DAYS = 400
# Overdue, these stay due until the processor acts on them: sent again, at most once per sweep day.
REPEATED_KINDS = frozenset({"expiry", "version_check"})

Publish = Callable[[Sequence[dict[str, Any]]], None]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep looked at and emitted."""

    after: datetime
    until: datetime
    candidates: int
    ticks: list[dict[str, Any]] = field(default_factory=list)
    sent_before: int = 0  # due ticks not sent again: the ledger has them
    refused: int = 0  # due ticks the tick contract refuses: left out, logged

    def summary(self) -> dict[str, Any]:
        return {
            "after": self.after.isoformat(),
            "as_of": self.until.isoformat(),
            "candidates": self.candidates,
            "ticks": len(self.ticks),
            "sent_before": self.sent_before,
            "refused": self.refused,
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


def to_send(ticks: list[dict[str, Any]], sent_on: dict[str, date], sweep_day: date) -> list[dict[str, Any]]:
    """The due ticks never sent, and overdue expiries and version checks last sent before `sweep_day`."""
    return [
        tick
        for tick in ticks
        if (last := sent_on.get(tick["event_id"])) is None or (tick["kind"] in REPEATED_KINDS and last < sweep_day)
    ]


def find_due_ticks(
    connection: Connection, policy: Policy, as_of: datetime, since: datetime | None = None
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
    held = held_since_cutoff(connection, hold_cutoff(as_of, policy.hold_days))
    lookback = min(after, max(EPOCH, as_of - timedelta(days=LOOKBACK_DAYS)))
    due = [
        tick
        for candidate in found
        for tick in due_ticks(candidate.snapshot, lookback if candidate.changed else after, as_of, policy, catalog)
    ]
    due.extend(hold_expiry_ticks(held, as_of, policy.hold_days))
    refused = len(due)
    due = valid_ticks(due)
    refused -= len(due)
    sent_on = {} if since else sent_days(connection, [tick["event_id"] for tick in due])
    connection.rollback()  # end the read transaction before talking to Kafka
    ticks = to_send(due, sent_on, utc_day(as_of))
    report = SweepReport(after, as_of, len(found), ticks, len(due) - len(ticks), refused)
    return report, Watermark(max(as_of, after), rows_seen_at)


def sweep(
    connection: Connection,
    publish: Publish,
    policy: Policy,
    as_of: datetime,
    since: datetime | None = None,
) -> SweepReport:
    """Find, publish (flushed and acknowledged) and only then advance the watermark."""
    report, watermark = find_due_ticks(connection, policy, as_of, since)
    publish(report.ticks)
    sweep_day = utc_day(as_of)
    record_sent(connection, report.ticks, sweep_day, sweep_day - timedelta(days=LOOKBACK_DAYS))
    advance_watermark(connection, watermark, len(report.ticks))  # commits the ledger too
    log.info(
        "swept (%s, %s]: %d candidates, %d ticks, %d sent before, %d refused by the tick contract",
        report.after,
        as_of,
        report.candidates,
        len(report.ticks),
        report.sent_before,
        report.refused,
    )
    return report
