"""The store's writes: one transaction per batch, idempotent upserts guarded by the revision."""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg2
from psycopg2.extensions import connection as Connection  # noqa: N812 - the driver's own class name
from psycopg2.extras import execute_values

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


def write_batch(connection: Connection, batch: Batch) -> int:
    """Write a batch's entitlements and releases in one transaction; return the current rows changed."""
    current = newest_per_serial(batch.entitlements)
    revisions = distinct_revisions(batch.entitlements)
    releases = last_per_version(batch.releases)
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
        connection.commit()
    except BaseException:
        if not connection.closed:
            with contextlib.suppress(psycopg2.Error):
                connection.rollback()
        raise
    return changed
