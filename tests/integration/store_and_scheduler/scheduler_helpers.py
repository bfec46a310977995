"""Helpers of the scheduler's integration tests: four entitlements and two releases, written as the store's role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg2
from pg_admin import with_role
from store_samples import encoded, release, snapshot

from consumers.db import migrate
from consumers.store.mapping import Batch, entitlement_row, release_row
from consumers.store.repository import write_batch
from lifecycle.settings import Settings

T1 = "2027-03-08T12:00:00Z"
T3 = "2027-03-15T01:00:00Z"
FIRST_SWEEP = [
    "tick:A:reminder:2027-02-13:30",
    "tick:A:reminder:2027-03-08:7",
    "tick:B:reminder:2027-02-18:30",
    "tick:D:version_check:2026-05-01",
]
CATCH_UP = [
    "tick:A:reminder:2027-03-14:1",
    "tick:A:expiry:2027-03-15",
    "tick:B:reminder:2027-03-13:7",
    "tick:D:version_check:2026-05-01",
]


def as_store(settings: Settings) -> str:
    """The DSN of these settings logging in as the store's role: the one that writes entitlements."""
    return with_role(settings.database_url.get_secret_value(), settings.db_store_role)


def store(dsn: str, snapshots: Sequence[dict[str, Any]], releases: Sequence[dict[str, Any]] = ()) -> None:
    """Write these snapshots and release events as the store does."""
    batch = Batch(
        entitlements=[entitlement_row(encoded(document)) for document in snapshots],
        releases=[release_row(encoded(event)) for event in releases],
    )
    connection = psycopg2.connect(dsn)
    try:
        write_batch(connection, batch)
    finally:
        connection.close()


def scheduler_settings(topics: Settings) -> Settings:
    """Migrate, store A to D and releases 10 and 11 of backup; the settings logging in as the scheduler's role."""
    migrate(topics)
    settings = topics.replace(database_url=with_role(topics.database_url.get_secret_value(), topics.db_scheduler_role))
    store(
        as_store(settings),
        [
            snapshot("A", 3, expires_on="2027-03-15"),
            snapshot("B", 1, expires_on="2027-03-20"),
            snapshot("C", 2, status="expired", expires_on="2027-03-01"),
            snapshot("D", 1, expires_on="2030-01-01", version="9"),
        ],
        [release("backup", "10", "2026-01-01"), release("backup", "11", "2026-05-01")],
    )
    return settings
