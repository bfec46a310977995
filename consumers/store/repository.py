"""The store's writes: one transaction per batch, idempotent upserts guarded by the revision.

A serial's held events are replaced by its newest holds record: rows it no longer lists are deleted,
the others upserted; a repeated record changes nothing.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg2
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extras import execute_values

from consumers.store.holds import HeldRow, Holds, newest_holds
from consumers.store.mapping import (
    Batch,
    EntitlementRow,
    ReleaseRow,
    distinct_revisions,
    last_per_version,
    newest_per_serial,
)

UPSERT_CURRENT = """
INSERT INTO entitlements AS t (serial, account_id, status, program, line, family, version, channel,
                               starts_on, expires_on, version_supported, revision, updated_at, document)
VALUES %s
ON CONFLICT (serial) DO UPDATE SET
    account_id = excluded.account_id, status = excluded.status, program = excluded.program,
    line = excluded.line, family = excluded.family, version = excluded.version, channel = excluded.channel,
    starts_on = excluded.starts_on, expires_on = excluded.expires_on,
    version_supported = excluded.version_supported, revision = excluded.revision,
    updated_at = excluded.updated_at, document = excluded.document, stored_at = clock_timestamp()
WHERE excluded.revision > t.revision
"""
CURRENT_TEMPLATE = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)"

INSERT_REVISIONS = """
INSERT INTO entitlement_revisions (serial, revision, account_id, status, updated_at, document)
VALUES %s
ON CONFLICT (serial, revision) DO NOTHING
"""
REVISION_TEMPLATE = "(%s, %s, %s, %s, %s, %s::jsonb)"

UPSERT_RELEASES = """
INSERT INTO releases AS t (family, version, line, released_on, event_id)
VALUES %s
ON CONFLICT (family, version) DO UPDATE SET
    line = excluded.line, released_on = excluded.released_on, event_id = excluded.event_id,
    stored_at = clock_timestamp()
WHERE (t.line, t.released_on) IS DISTINCT FROM (excluded.line, excluded.released_on)
"""

DELETE_UNLISTED_HOLDS = """
DELETE FROM held_events AS t
WHERE t.serial = ANY(%(serials)s)
  AND NOT EXISTS (
      SELECT 1 FROM unnest(%(listed_serials)s::text[], %(listed_ids)s::text[]) AS listed (serial, event_id)
      WHERE listed.serial = t.serial AND listed.event_id = t.event_id)
RETURNING t.serial
"""

UPSERT_HOLDS = """
INSERT INTO held_events AS t (serial, event_id, type, occurred_at, held_since)
VALUES %s
ON CONFLICT (serial, event_id) DO UPDATE SET
    type = excluded.type, occurred_at = excluded.occurred_at, held_since = excluded.held_since,
    stored_at = clock_timestamp()
WHERE (t.type, t.occurred_at, t.held_since) IS DISTINCT FROM (excluded.type, excluded.occurred_at, excluded.held_since)
RETURNING t.serial
"""


def _current_values(row: EntitlementRow) -> tuple[Any, ...]:
    return (
        row.serial,
        row.account_id,
        row.status,
        row.program,
        row.line,
        row.family,
        row.version,
        row.channel,
        row.starts_on,
        row.expires_on,
        row.version_supported,
        row.revision,
        row.updated_at,
        row.document,
    )


def _revision_values(row: EntitlementRow) -> tuple[Any, ...]:
    return (row.serial, row.revision, row.account_id, row.status, row.updated_at, row.document)


def _release_values(row: ReleaseRow) -> tuple[Any, ...]:
    return (row.family, row.version, row.line, row.released_on, row.event_id)


def _held_values(row: HeldRow) -> tuple[Any, ...]:
    return (row.serial, row.event_id, row.type, row.occurred_at, row.held_since)


def _replace_holds(cursor: Any, holds: list[Holds]) -> int:
    """Make each serial's rows those of its record; return how many serials' rows changed."""
    listed = [row for record in holds for row in record.held]
    params = {
        "serials": [record.serial for record in holds],
        "listed_serials": [row.serial for row in listed],
        "listed_ids": [row.event_id for row in listed],
    }
    cursor.execute(DELETE_UNLISTED_HOLDS, params)
    changed = {serial for (serial,) in cursor.fetchall()}
    if listed:
        rows = execute_values(cursor, UPSERT_HOLDS, [_held_values(r) for r in listed], None, len(listed), fetch=True)
        changed.update(serial for (serial,) in rows)
    return len(changed)


def write_batch(connection: Connection, batch: Batch) -> int:
    """Write entitlements, releases and holds in one transaction; return the entitlements and held serials changed."""
    current = newest_per_serial(batch.entitlements)
    revisions = distinct_revisions(batch.entitlements)
    releases = last_per_version(batch.releases)
    holds = newest_holds(batch.holds)
    changed = 0
    try:
        with connection.cursor() as cursor:
            if current:
                execute_values(
                    cursor, UPSERT_CURRENT, [_current_values(r) for r in current], CURRENT_TEMPLATE, len(current)
                )
                changed = cursor.rowcount
                execute_values(
                    cursor,
                    INSERT_REVISIONS,
                    [_revision_values(r) for r in revisions],
                    REVISION_TEMPLATE,
                    len(revisions),
                )
            if releases:
                execute_values(cursor, UPSERT_RELEASES, [_release_values(r) for r in releases], None, len(releases))
            if holds:
                changed += _replace_holds(cursor, holds)
        connection.commit()
    except BaseException:
        if not connection.closed:
            with contextlib.suppress(psycopg2.Error):
                connection.rollback()
        raise
    return changed
