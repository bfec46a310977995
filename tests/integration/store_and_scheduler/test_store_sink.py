"""The entitlement store against the real broker and PostgreSQL: rows, history, stale revisions, dead letters."""

from __future__ import annotations

import subprocess
import sys

import orjson
import psycopg2
import pytest
from pg_admin import with_role
from store_helpers import all_committed, produce, query, wait_for
from store_samples import encoded, release, snapshot
from topic_reading import read_topic

from lifecycle.settings import Settings

pytestmark = pytest.mark.integration


def test_snapshots_become_current_rows_and_history(running_store: Settings) -> None:
    settings = running_store
    dsn = settings.database_url.get_secret_value()
    versions = [("SN-1", 1), ("SN-2", 1), ("SN-1", 3), ("SN-1", 2), ("SN-1", 3), ("SN-2", 2)]
    produce(
        settings, "entitlements", [(s.encode(), encoded(snapshot(s, r, last_event_id=f"e{r}"))) for s, r in versions]
    )
    produce(settings, "releases", [(b"backup", encoded(release("backup", "12", "2026-06-01")))])
    wait_for(lambda: all_committed(settings), "the store to commit every message")

    current = query(
        dsn, "SELECT serial, revision, status, document->>'last_event_id' FROM entitlements ORDER BY serial"
    )
    assert current == [("SN-1", 3, "active", "e3"), ("SN-2", 2, "active", "e2")]
    history = query(dsn, "SELECT serial, revision FROM entitlement_revisions ORDER BY serial, revision")
    assert history == [("SN-1", 1), ("SN-1", 2), ("SN-1", 3), ("SN-2", 1), ("SN-2", 2)]
    assert query(dsn, "SELECT family, version, released_on::text FROM releases") == [("backup", "12", "2026-06-01")]

    # A stale and a repeated revision in later batches change nothing.
    before = query(dsn, "SELECT serial, revision, stored_at FROM entitlements ORDER BY serial")
    stale = snapshot("SN-1", 2, status="expired")
    produce(settings, "entitlements", [(b"SN-1", encoded(stale)), (b"SN-2", encoded(snapshot("SN-2", 2)))])
    wait_for(lambda: all_committed(settings), "the store to commit the stale messages")
    assert query(dsn, "SELECT serial, revision, stored_at FROM entitlements ORDER BY serial") == before
    assert query(dsn, "SELECT count(*) FROM entitlement_revisions") == [(5,)]
    assert read_topic(settings, "deadletter") == []


def test_a_message_the_store_cannot_understand_goes_to_dead_letters(running_store: Settings) -> None:
    settings = running_store
    bad_schema = encoded({**snapshot("SN-7"), "status": "misplaced"})
    produce(
        settings, "entitlements", [(b"SN-6", b"{not json"), (b"SN-7", bad_schema), (b"SN-8", encoded(snapshot("SN-8")))]
    )
    wait_for(lambda: all_committed(settings), "the store to commit past the bad messages")

    assert query(settings.database_url.get_secret_value(), "SELECT serial FROM entitlements") == [("SN-8",)]
    letters = sorted((orjson.loads(value or b"{}") for _, value in read_topic(settings, "deadletter")), key=str)
    assert sorted(letter["key"] for letter in letters) == ["SN-6", "SN-7"]
    by_key = {letter["key"]: letter for letter in letters}
    assert by_key["SN-6"]["reason"].startswith("not JSON")
    assert by_key["SN-6"]["payload"] == "{not json"
    assert by_key["SN-7"]["reason"].startswith("status")
    for letter in letters:
        assert letter["component"] == "store"
        assert letter["origin"]["topic"] == settings.topic("entitlements")
        assert letter["origin"]["offset"] >= 0


def test_migrate_creates_least_privilege_roles(topics: Settings, lifecycle_env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "lifecycle.cli", "db", "migrate"]
    first = subprocess.run(command, env=lifecycle_env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "0001_entitlements" in first.stdout
    again = subprocess.run(command, env=lifecycle_env, capture_output=True, text=True, timeout=120, check=False)
    assert (again.returncode, again.stdout.strip()) == (0, "schema up to date")

    app = with_role(topics.database_url.get_secret_value(), topics.db_store_role)
    readonly = with_role(topics.database_url.get_secret_value(), topics.db_readonly_role)
    query(
        app, "INSERT INTO releases (family, version, line, released_on, event_id) VALUES ('f', '1', 'home', now(), 'e')"
    )
    assert query(readonly, "SELECT family FROM releases") == [("f",)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(app, "CREATE TABLE intruder (id int)")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        query(app, "DELETE FROM _yoyo_migration")
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        query(readonly, "DELETE FROM releases")
    owners = query(
        topics.database_url.get_secret_value(), "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
    )
    assert owners == [(topics.db_owner_role,)]


def test_a_row_postgresql_refuses_goes_to_dead_letters_and_the_rest_of_its_batch_is_written(
    running_store: Settings, topics: Settings
) -> None:
    settings = running_store
    # A valid snapshot that the database still refuses (here by a constraint a later schema could bring).
    query(
        topics.database_url.get_secret_value(),
        "ALTER TABLE entitlements ADD CONSTRAINT refuse_one CHECK (serial <> 'SN-REFUSED')",
    )
    serials = ["SN-20", "SN-REFUSED", "SN-21"]
    produce(settings, "entitlements", [(s.encode(), encoded(snapshot(s))) for s in serials])
    wait_for(lambda: all_committed(settings, ("entitlements",)), "the store to commit past the refused row")

    stored = query(settings.database_url.get_secret_value(), "SELECT serial FROM entitlements ORDER BY serial")
    assert stored == [("SN-20",), ("SN-21",)]
    letters = [orjson.loads(value or b"{}") for _, value in read_topic(settings, "deadletter")]
    assert [letter["key"] for letter in letters] == ["SN-REFUSED"]
    assert letters[0]["reason"].startswith("refused by PostgreSQL: ")
    assert "refuse_one" in letters[0]["reason"]
