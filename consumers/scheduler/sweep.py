"""One sweep: find what fell due since the watermark, publish what was not sent before, note it, advance.

The window of a sweep is (watermark, as_of]. Rows stored since the previous sweep looked (less a
margin for transactions that committed late) are examined from LOOKBACK_DAYS before as_of instead,
so an entitlement that reaches the store late still gets every tick it is owed. Expiries and
version checks that are overdue stay due until the processor acts on them (`due_ticks` decides;
the processor re-checks every tick). Reminders fall due at UTC midnight, so a sweep whose window
crosses no midnight only needs the overdue and the changed rows. Every sweep also ticks each serial
with an event held longer than the hold period (`hold_expiry_ticks` decides): one tick id per serial
and UTC day. A due tick the tick contract refuses (a stored row no tick can be made of) is left out
(logged the first time, counted in each sweep's summary), and the rest of the sweep goes on (`refusals.valid_ticks`);
so is a stored row whose ticks cannot be computed (a date the rules' arithmetic cannot hold, `refusals.refused_row`).

Rows are read a page at a time by serial (`pages.due_pages`): each page's ticks are checked against the
ledger, published and noted before the next page is read, and the watermark moves only once every page
went out, so a sweep that fails part way covers the whole window again and the ledger keeps what went out.

The tick ledger (`scheduler_ticks`) keeps what was sent: each due tick is published once, and an
overdue expiry or version check again at most once per UTC day of the sweep, so neither a row that
changes often nor a worker that was down for hours brings a flood of repeated ticks. `--since`
sweeps from an instant and sends again what was sent before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.scheduler.pages import Page, Window, due_pages
from consumers.scheduler.queries import (
    Watermark,
    advance_watermark,
    database_now,
    load_catalog,
    read_watermark,
    record_sent,
    supported_versions,
)
from lifecycle.rules import Policy
from lifecycle.rules.calendar import utc_day
from lifecycle.rules.catalog import support_ends_on

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Rows stored up to this long before the previous sweep looked are examined again (late commits).
CHANGE_MARGIN = timedelta(minutes=10)
# How far back a changed row's ticks are looked for, and how long the ledger remembers a tick it sent.
LOOKBACK_DAYS = 400
# Ticks a sweep's summary lists by id (and a dry run shows whole): a page at a time is held, not a whole first sweep.
TICKS_LISTED = 1_000

Publish = Callable[[Sequence[dict[str, Any]]], None]


@dataclass(frozen=True)
class SweepReport:
    """What one sweep looked at and emitted."""

    after: datetime
    until: datetime
    candidates: int
    ticks: list[dict[str, Any]] = field(default_factory=list)  # the first TICKS_LISTED of them
    sent_before: int = 0  # due ticks not sent again: the ledger has them
    refused: int = 0  # due ticks the tick contract refuses, and rows whose ticks cannot be computed: left out, logged
    tick_count: int = 0  # all the ticks due (published, unless a dry run)

    def summary(self) -> dict[str, Any]:
        listed: dict[str, Any] = {"event_ids": [tick["event_id"] for tick in self.ticks]}
        if self.tick_count > len(self.ticks):
            listed["event_ids_not_listed"] = self.tick_count - len(self.ticks)
        return {
            "after": self.after.isoformat(),
            "as_of": self.until.isoformat(),
            "candidates": self.candidates,
            "ticks": self.tick_count,
            "sent_before": self.sent_before,
            "refused": self.refused,
            **listed,
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


def sweep_window(
    connection: Connection, policy: Policy, as_of: datetime, since: datetime | None = None
) -> tuple[Window, Watermark]:
    """What a sweep as of `as_of` looks for, and the watermark to store once all of it is published (reads only)."""
    rows_seen_at = database_now(connection)
    previous = read_watermark(connection)
    after = since or (_swept_until(previous, rows_seen_at) if previous else EPOCH)
    catalog = load_catalog(connection)
    window = Window(
        after=after,
        as_of=as_of,
        lookback=min(after, max(EPOCH, as_of - timedelta(days=LOOKBACK_DAYS))),
        changed_since=previous.rows_seen_at - CHANGE_MARGIN if previous else None,
        expiring_until=_expiring_until(after, as_of, policy),
        versions=[
            (family, version)
            for family, version in supported_versions(connection)
            if support_ends_on(catalog, family, version) is not None
        ],
        catalog=catalog,
        policy=policy,
        resend=since is not None,
    )
    # Never past the clock: a sweep as of a later instant (`--once --as-of`) leaves the time after now to the sweeps
    # that come then. They find its ticks again, and the ledger keeps each from going out twice (`pages.to_send`).
    return window, Watermark(min(max(as_of, after), rows_seen_at), rows_seen_at)


def _swept_until(previous: Watermark, now: datetime) -> datetime:
    """The stored watermark, or now when it is later (an earlier version stored `--once --as-of` a future instant)."""
    if previous.swept_until <= now:
        return previous.swept_until
    log.warning(
        "the stored watermark %s is later than the clock: swept from now (%s) and replaced; ticks already sent are "
        "not sent again",
        previous.swept_until.isoformat(),
        now.isoformat(),
    )
    return now


def _report(window: Window, pages: Iterable[Page]) -> SweepReport:
    """The sweep's totals over its pages; of the ticks only the first TICKS_LISTED are kept, to be listed."""
    rows = sent_before = refused = count = 0
    ticks: list[dict[str, Any]] = []
    for page in pages:
        rows, sent_before, refused = rows + page.rows, sent_before + page.sent_before, refused + page.refused
        count += len(page.ticks)
        ticks.extend(page.ticks[: max(0, TICKS_LISTED - len(ticks))])
    return SweepReport(window.after, window.as_of, rows, ticks, sent_before, refused, count)


def find_due_ticks(
    connection: Connection, policy: Policy, as_of: datetime, since: datetime | None = None
) -> tuple[SweepReport, Watermark]:
    """The ticks due as of `as_of`, and the watermark to store once they are published (reads only)."""
    window, watermark = sweep_window(connection, policy, as_of, since)
    report = _report(window, due_pages(connection, window))
    connection.rollback()
    return report, watermark


def _published(connection: Connection, publish: Publish, pages: Iterable[Page], sweep_day: date) -> Iterator[Page]:
    """Each page once its ticks are published (flushed and acknowledged) and noted in the ledger (committed)."""
    for page in pages:
        connection.rollback()  # end the page's read transaction before talking to Kafka
        if page.ticks:
            publish(page.ticks)
            record_sent(connection, page.ticks, sweep_day, sweep_day - timedelta(days=LOOKBACK_DAYS))
            connection.commit()  # what went out stays noted, even when a later page fails
        yield page


def sweep(
    connection: Connection,
    publish: Publish,
    policy: Policy,
    as_of: datetime,
    since: datetime | None = None,
) -> SweepReport:
    """Find, publish and note page by page, and only once every page went out advance the watermark."""
    window, watermark = sweep_window(connection, policy, as_of, since)
    sweep_day = utc_day(as_of)
    report = _report(window, _published(connection, publish, due_pages(connection, window), sweep_day))
    # The ledger forgets what was sent long ago, also on a sweep that sent nothing.
    record_sent(connection, [], sweep_day, sweep_day - timedelta(days=LOOKBACK_DAYS))
    advance_watermark(connection, watermark, report.tick_count)  # commits
    log.info(
        "swept (%s, %s]: %d candidates, %d ticks, %d sent before, %d refused (by the tick contract or unreadable)",
        report.after,
        as_of,
        report.candidates,
        report.tick_count,
        report.sent_before,
        report.refused,
    )
    return report
