"""The scheduler's reads and writes: candidates that could fall due, the catalog, holds, the tick ledger and the
watermark."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extras import execute_values

from lifecycle.rules import Catalog, Release, catalog_from_releases
from lifecycle.rules.due import SnapshotDates
from schemas.checks import FIRST_INSTANT

SWEEP_WATERMARK = "sweep"
# Rows read (and ticks checked, published and noted) a page at a time, so a sweep's memory stays bounded.
PAGE_ROWS = 2000


@dataclass(frozen=True)
class Watermark:
    """Ticks due up to `swept_until` were published; rows stored before `rows_seen_at` were examined."""

    swept_until: datetime
    rows_seen_at: datetime


@dataclass(frozen=True)
class Candidate:
    """An entitlement that could have something due; `changed`: stored since the last sweep looked."""

    serial: str
    dates: SnapshotDates
    changed: bool


def database_now(connection: Connection) -> datetime:
    """The database's clock (the one `stored_at` is written with)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        row = cursor.fetchone()
    assert row is not None
    now: datetime = row[0]
    return now


def read_watermark(connection: Connection, name: str = SWEEP_WATERMARK) -> Watermark | None:
    """The last sweep's watermark, or None before the first sweep."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT swept_until, rows_seen_at FROM scheduler_watermarks WHERE name = %s", (name,))
        row = cursor.fetchone()
    return None if row is None else Watermark(row[0], row[1])


def advance_watermark(connection: Connection, watermark: Watermark, ticks: int, name: str = SWEEP_WATERMARK) -> None:
    """Move the watermark forward (never back, whatever another scheduler wrote, unless past the clock) and commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO scheduler_watermarks AS t (name, swept_until, rows_seen_at, ticks) VALUES (%s, %s, %s, %s)
            ON CONFLICT (name) DO UPDATE SET
                -- one past the clock was stored by an earlier version, after `--once --as-of` a later instant
                swept_until = CASE WHEN t.swept_until > clock_timestamp() THEN excluded.swept_until
                    ELSE GREATEST(t.swept_until, excluded.swept_until) END,
                rows_seen_at = GREATEST(t.rows_seen_at, excluded.rows_seen_at),
                ticks = t.ticks + excluded.ticks,
                updated_at = clock_timestamp()
            """,
            (name, watermark.swept_until, watermark.rows_seen_at, ticks),
        )
    connection.commit()


def sent_days(connection: Connection, tick_ids: Sequence[str]) -> dict[str, date]:
    """The sweep day each of these ticks was last sent on; a tick never sent (or forgotten) is absent."""
    if not tick_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tick_id, sent_on FROM scheduler_ticks WHERE tick_id = ANY(%s)", (list(tick_ids),))
        return dict(cursor.fetchall())


def record_sent(connection: Connection, ticks: Sequence[dict[str, Any]], sweep_day: date, forget_before: date) -> None:
    """Note the ticks as sent on `sweep_day`, and forget those last sent before `forget_before` (not committed)."""
    rows = {tick["event_id"]: (tick["event_id"], tick["serial"], sweep_day) for tick in ticks}
    with connection.cursor() as cursor:
        execute_values(
            cursor,
            """
            INSERT INTO scheduler_ticks AS t (tick_id, serial, sent_on) VALUES %s
            ON CONFLICT (tick_id) DO UPDATE SET sent_on = GREATEST(t.sent_on, excluded.sent_on)
            """,
            list(rows.values()),
            page_size=1000,
        )
        cursor.execute("DELETE FROM scheduler_ticks WHERE sent_on < %s", (forget_before,))


def load_catalog(connection: Connection) -> Catalog:
    """Every known release, grouped by family."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT family, version, released_on FROM releases")
        return catalog_from_releases(Release(family, version, released_on) for family, version, released_on in cursor)


def supported_versions(connection: Connection) -> list[tuple[str, str]]:
    """The (family, version) pairs entitlements still call supported."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT family, version FROM entitlements WHERE version_supported")
        return [(family, version) for family, version in cursor]


def held_since_cutoff(
    connection: Connection, cutoff: datetime, after_serial: str = "", limit: int = PAGE_ROWS
) -> list[tuple[str, datetime]]:
    """Each serial after `after_serial` with an event held since before `cutoff`, and its oldest held_since (never
    before the contract's first year: a row stored before that bound, even BC, reads as held since then); by serial,
    at most `limit`."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT serial, GREATEST(min(held_since), %(first)s) FROM held_events
            WHERE held_since < %(cutoff)s AND serial > %(after)s GROUP BY serial ORDER BY serial LIMIT %(limit)s
            """,
            {"first": FIRST_INSTANT, "cutoff": cutoff, "after": after_serial, "limit": limit},
        )
        return [(serial, held_since) for serial, held_since in cursor]


def candidates(
    connection: Connection,
    *,
    expiring_until: date,
    changed_since: datetime | None,
    versions: list[tuple[str, str]],
    after_serial: str = "",
    limit: int = PAGE_ROWS,
) -> list[Candidate]:
    """Active entitlements expiring by `expiring_until`, rows stored since `changed_since` (None: every row),
    and rows still marked supported on one of `versions`: those after `after_serial`, by serial, at most `limit`."""
    params: dict[str, Any] = {
        "changed_since": changed_since,
        "expiring_until": expiring_until,
        "families": [family for family, _ in versions],
        "versions": [version for _, version in versions],
        "after": after_serial,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_EVERY_ROW if changed_since is None else _DUE_OR_CHANGED, params)
        return [
            Candidate(serial, SnapshotDates(status, program, expires_on, family, version, supported), bool(is_changed))
            for serial, status, program, expires_on, family, version, supported, is_changed in cursor
        ]


# The columns the due rules read (`SnapshotDates`), which the store writes from the snapshot: never the document.
_EVERY_ROW = """
SELECT serial, status, program, expires_on, family, version, version_supported, true FROM entitlements
WHERE serial > %(after)s ORDER BY serial LIMIT %(limit)s
"""
# An OR of these three conditions, ordered by serial with a LIMIT, can use no index but the primary key's: it reads
# every row after `after`. Each arm here is a page of its own by its own index (the first two sorted in memory, the
# third in the order of entitlements_supported_by_version_serial, one version at a time); their union's first
# `limit` rows by serial are the OR's.
_DUE_OR_CHANGED = """
(SELECT serial, status, program, expires_on, family, version, version_supported, stored_at >= %(changed_since)s
 FROM entitlements WHERE serial > %(after)s AND status = 'active' AND expires_on <= %(expiring_until)s
 ORDER BY serial LIMIT %(limit)s)
UNION
(SELECT serial, status, program, expires_on, family, version, version_supported, stored_at >= %(changed_since)s
 FROM entitlements WHERE serial > %(after)s AND stored_at >= %(changed_since)s
 ORDER BY serial LIMIT %(limit)s)
UNION
(SELECT e.* FROM (SELECT DISTINCT * FROM unnest(%(families)s::text[], %(versions)s::text[])) AS v (family, version)
 CROSS JOIN LATERAL (
    SELECT serial, status, program, expires_on, family, version, version_supported, stored_at >= %(changed_since)s
    FROM entitlements AS t
    WHERE t.version_supported AND t.family = v.family AND t.version = v.version AND t.serial > %(after)s
    ORDER BY t.serial LIMIT %(limit)s
 ) AS e
 ORDER BY serial LIMIT %(limit)s)
ORDER BY serial LIMIT %(limit)s
"""
