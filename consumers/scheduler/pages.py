"""A sweep a page at a time: each page of candidate rows (then of held serials, both by serial) as the ticks to send.

Only one page of rows, its ticks and its ledger entries are held at once, however many rows the table has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name

from consumers.scheduler.queries import PAGE_ROWS, Candidate, candidates, held_since_cutoff, sent_days
from consumers.scheduler.refusals import refused_row, valid_ticks
from lifecycle.rules import Catalog, Policy
from lifecycle.rules.calendar import utc_day
from lifecycle.rules.due import dated_ticks
from lifecycle.rules.holds_due import hold_cutoff, hold_expiry_ticks

# Overdue, these stay due until the processor acts on them: sent again, at most once per sweep day.
REPEATED_KINDS = frozenset({"expiry", "version_check"})

Row = TypeVar("Row")


@dataclass(frozen=True)
class Window:
    """What one sweep looks for: (after, as_of], from `lookback` for rows stored since `changed_since`."""

    after: datetime
    as_of: datetime
    lookback: datetime
    changed_since: datetime | None
    expiring_until: date
    versions: list[tuple[str, str]]
    catalog: Catalog
    policy: Policy
    resend: bool  # from an instant given (`--since`): what the ledger holds is sent again


@dataclass(frozen=True)
class Page:
    """One page's rows looked at, the ticks to send, and the due ticks not sent (in the ledger, or refused)."""

    rows: int
    ticks: list[dict[str, Any]]
    sent_before: int
    refused: int


def to_send(ticks: list[dict[str, Any]], sent_on: dict[str, date], sweep_day: date) -> list[dict[str, Any]]:
    """The due ticks never sent, and overdue expiries and version checks last sent before `sweep_day`."""
    return [
        tick
        for tick in ticks
        if (last := sent_on.get(tick["event_id"])) is None or (tick["kind"] in REPEATED_KINDS and last < sweep_day)
    ]


def due_pages(connection: Connection, window: Window) -> Iterator[Page]:
    """Every page of the sweep, read when the one before it was taken (each read in its own transaction)."""

    def rows(after: str) -> list[Candidate]:
        return candidates(
            connection,
            expiring_until=window.expiring_until,
            changed_since=window.changed_since,
            versions=window.versions,
            after_serial=after,
            limit=PAGE_ROWS,
        )

    for found in _by_serial(rows, lambda candidate: candidate.serial):
        ticks, refused = _row_ticks(found, window)
        yield _checked(connection, window, len(found), ticks, refused)
    cutoff = hold_cutoff(window.as_of, window.policy.hold_days)

    def held(after: str) -> list[tuple[str, datetime]]:
        return held_since_cutoff(connection, cutoff, after, PAGE_ROWS)

    for serials in _by_serial(held, lambda row: row[0]):
        yield _checked(connection, window, 0, hold_expiry_ticks(serials, window.as_of, window.policy.hold_days), 0)


def _by_serial(fetch: Callable[[str], Sequence[Row]], serial: Callable[[Row], str]) -> Iterator[Sequence[Row]]:
    """Pages of at most PAGE_ROWS rows, each after the last serial of the one before (keyset paging)."""
    after = ""
    while page := fetch(after):
        yield page
        if len(page) < PAGE_ROWS:
            return
        after = serial(page[-1])


def _row_ticks(found: Sequence[Candidate], window: Window) -> tuple[list[dict[str, Any]], int]:
    """The due ticks of these rows, and how many rows were left out because their ticks cannot be computed."""
    ticks: list[dict[str, Any]] = []
    refused = 0
    for candidate in found:
        after = window.lookback if candidate.changed else window.after
        try:
            ticks.extend(
                dated_ticks(candidate.serial, candidate.dates, after, window.as_of, window.policy, window.catalog)
            )
        except (ValueError, OverflowError) as exc:  # a stored row the rules cannot compute with (a date near year 1)
            refused += 1
            refused_row(candidate.serial, exc)
    return ticks, refused


def _checked(connection: Connection, window: Window, rows: int, due: list[dict[str, Any]], refused: int) -> Page:
    """The page's due ticks the contract accepts and the ledger does not hold (as of the sweep's day)."""
    valid = valid_ticks(due)
    sent_on = {} if window.resend else sent_days(connection, [tick["event_id"] for tick in valid])
    ticks = to_send(valid, sent_on, utc_day(window.as_of))
    return Page(rows, ticks, len(valid) - len(ticks), refused + len(due) - len(valid))
