"""The store keeps the holds topic in `held_events`: newest record per serial, idempotent, bad ones dead-lettered."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg2
import pytest
from pg_admin import with_role
from store_helpers import all_committed, produce, query, wait_for
from store_samples import encoded, holds
from topic_reading import read_topic
from yoyo import get_backend, read_migrations

from consumers.db import MIGRATION_TABLE, MIGRATIONS_DIR
from lifecycle.settings import Settings

pytestmark = pytest.mark.integration

JAN_1, JAN_5 = "2027-01-01T09:00:00Z", "2027-01-05T12:00:00Z"
ROWS = "SELECT serial, event_id, type, held_since FROM held_events ORDER BY serial, event_id"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def send_holds(settings: Settings, *documents: dict[str, Any]) -> None:
    """Publish holds documents keyed by serial, in order, and wait until the store committed them."""
    produce(settings, "holds", [(document["serial"].encode(), encoded(document)) for document in documents])
    wait_for(lambda: all_committed(settings, ("holds",)), "the store to commit the holds records")


def test_the_newest_holds_record_of_a_serial_replaces_its_rows(running_store: Settings) -> None:
    settings = running_store
    dsn = settings.database_url.get_secret_value()
    send_holds(
        settings,
        holds("SN-1", ("rn-1", "renewal", JAN_1)),
        holds("SN-2", ("ppi-2", "purchase", JAN_5)),
        # Three records of SN-1 at once: the last one is what waits now.
        holds("SN-1", ("rn-1", "renewal", JAN_1), ("up-1", "upgrade", JAN_5)),
        holds("SN-1", ("rn-1", "renewal", JAN_1)),
        holds("SN-1", ("rn-1", "renewal", JAN_1), ("rg-1", "registration", JAN_5)),
    )
    assert query(dsn, ROWS) == [
        ("SN-1", "rg-1", "registration", at(JAN_5)),
        ("SN-1", "rn-1", "renewal", at(JAN_1)),
        ("SN-2", "ppi-2", "purchase", at(JAN_5)),
    ]
    occurred = query(dsn, "SELECT DISTINCT occurred_at FROM held_events")
    assert occurred == [(at("2025-03-01T10:00:00Z"),)]

    # The same record again changes nothing, not even when the rows were stored.
    before = query(dsn, "SELECT serial, event_id, stored_at FROM held_events ORDER BY serial, event_id")
    send_holds(settings, holds("SN-1", ("rn-1", "renewal", JAN_1), ("rg-1", "registration", JAN_5)))
    assert query(dsn, "SELECT serial, event_id, stored_at FROM held_events ORDER BY serial, event_id") == before

    # The purchase came for SN-1: an empty list clears its rows, and only its rows; a repeat is harmless.
    send_holds(settings, holds("SN-1"), holds("SN-1"))
    assert query(dsn, ROWS) == [("SN-2", "ppi-2", "purchase", at(JAN_5))]
    send_holds(settings, holds("SN-2"))
    assert query(dsn, ROWS) == []
    assert read_topic(settings, "deadletter") == []


def test_a_holds_record_the_store_cannot_understand_goes_to_dead_letters(running_store: Settings) -> None:
    settings = running_store
    no_since = holds("SN-6", ("rn-6", "renewal", JAN_1))
    del no_since["held"][0]["since"]
    produce(
        settings,
        "holds",
        [
            (b"SN-5", b"{not json"),
            (b"SN-6", encoded(no_since)),
            (b"SN-7", None),
            (b"SN-8", encoded(holds("SN-8", ("rn-8", "renewal", JAN_1)))),
        ],
    )
    wait_for(lambda: all_committed(settings, ("holds",)), "the store to commit past the bad records")

    assert query(settings.database_url.get_secret_value(), "SELECT serial, event_id FROM held_events") == [
        ("SN-8", "rn-8")
    ]
    letters = {
        letter["key"]: letter for letter in (orjson.loads(v or b"{}") for _, v in read_topic(settings, "deadletter"))
    }
    assert sorted(letters) == ["SN-5", "SN-6", "SN-7"]
    assert letters["SN-5"]["reason"].startswith("not JSON")
    assert letters["SN-6"]["reason"].startswith("held[0]")
    assert "since" in letters["SN-6"]["reason"]
    assert "tombstone" in letters["SN-7"]["reason"]
    for letter in letters.values():
        assert letter["component"] == "store"
        assert letter["origin"]["topic"] == settings.topic("holds")


def test_migrate_creates_held_events_with_the_roles_rights_and_it_rolls_back(
    topics: Settings, lifecycle_env: dict[str, str]
) -> None:
    command = [sys.executable, "-m", "lifecycle.cli", "db", "migrate"]
    first = subprocess.run(command, env=lifecycle_env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "0004_held_events" in first.stdout

    app = with_role(topics.database_url.get_secret_value(), topics.db_store_role)
    readonly = with_role(topics.database_url.get_secret_value(), topics.db_readonly_role)
    insert = (
        "INSERT INTO held_events (serial, event_id, type, occurred_at, held_since)"
        " VALUES ('S', 'e', 'renewal', now(), now())"
    )
    query(app, insert)
    query(app, "UPDATE held_events SET held_since = held_since - interval '1 day'")
    assert query(readonly, "SELECT serial, event_id FROM held_events") == [("S", "e")]
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        query(readonly, "DELETE FROM held_events")
    query(app, "DELETE FROM held_events")
    owner = query(
        topics.database_url.get_secret_value(), "SELECT tableowner FROM pg_tables WHERE tablename = 'held_events'"
    )
    assert owner == [(topics.db_owner_role,)]

    backend = get_backend(topics.database_url.get_secret_value(), MIGRATION_TABLE)
    try:
        migrations = read_migrations(str(MIGRATIONS_DIR)).filter(lambda m: m.id == "0004_held_events")
        with backend.lock():
            backend.rollback_migrations(backend.to_rollback(migrations))
    finally:
        backend.connection.close()
    assert query(topics.database_url.get_secret_value(), "SELECT to_regclass('held_events') IS NULL") == [(True,)]

    again = subprocess.run(command, env=lifecycle_env, capture_output=True, text=True, timeout=120, check=False)
    assert (again.returncode, again.stdout.strip()) == (0, "applied 1 migration(s): 0004_held_events"), again.stderr
    query(app, insert)
    assert query(readonly, "SELECT count(*) FROM held_events") == [(1,)]
