"""The scheduler ticks serials whose events wait past the hold period: one hold_expiry tick per serial and day."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from typing import Any

import orjson
import psycopg2
import pytest
from pg_admin import with_role
from store_samples import encoded, holds
from topic_reading import read_topic

from consumers.db import migrate
from consumers.store.holds import holds_record
from consumers.store.mapping import Batch
from consumers.store.repository import write_batch
from lifecycle.settings import Settings
from schemas import validate

pytestmark = pytest.mark.integration

BEFORE = "2027-01-30T23:59:59Z"  # SN-A's first event arrived on 2027-01-01: its 30 days end with this UTC day
PAST = "2027-02-05T12:00:00Z"  # SN-A and SN-B wait longer than 30 days, SN-C does not
EXPIRED = ["tick:SN-A:hold_expiry:2027-02-05", "tick:SN-B:hold_expiry:2027-02-05"]


def scheduler(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run `lifecycle scheduler --once` with these arguments; its JSON summary."""
    command = [sys.executable, "-m", "lifecycle.cli", "scheduler", "--once", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = orjson.loads(done.stdout)
    return summary


@pytest.fixture
def held_env(topics: Settings, lifecycle_env: dict[str, str]) -> tuple[Settings, dict[str, str]]:
    """Migrated database whose held_events the store's role wrote from three holds records; the scheduler's
    role's environment."""
    migrate(topics)
    admin = topics.database_url.get_secret_value()
    settings = topics.replace(database_url=with_role(admin, topics.db_scheduler_role))
    documents = [
        holds("SN-A", ("rn-a", "renewal", "2027-01-01T09:00:00Z"), ("up-a", "upgrade", "2027-01-20T09:00:00Z")),
        holds("SN-B", ("ppi-b", "purchase", "2027-01-05T12:00:00Z")),
        holds("SN-C", ("rn-c", "renewal", "2027-01-20T00:00:00Z")),
    ]
    connection = psycopg2.connect(with_role(admin, topics.db_store_role))
    try:
        write_batch(connection, Batch(holds=[holds_record(encoded(document)) for document in documents]))
    finally:
        connection.close()
    env = {
        **lifecycle_env,
        "LIFECYCLE_DATABASE_URL": settings.database_url.get_secret_value(),
        "LIFECYCLE_METRICS_PORT": "0",
    }
    return settings, env


def test_a_sweep_past_the_hold_period_emits_one_hold_expiry_tick_per_serial(
    held_env: tuple[Settings, dict[str, str]],
) -> None:
    settings, env = held_env
    assert scheduler(env, "--as-of", BEFORE)["event_ids"] == []
    assert read_topic(settings, "ticks") == []

    assert scheduler(env, "--as-of", PAST)["event_ids"] == EXPIRED
    records = read_topic(settings, "ticks")
    ticks = [validate("tick", orjson.loads(value or b"")) for _, value in records]
    assert sorted(tick["event_id"] for tick in ticks) == EXPIRED
    for (key, _), tick in zip(records, ticks, strict=True):
        assert key == tick["serial"].encode()
        assert (tick["kind"], tick["due_on"], tick["occurred_at"]) == (
            "hold_expiry",
            "2027-02-05",
            "2027-02-05T00:00:00Z",
        )

    # Later the same day: nothing again (a second scheduler at once would send the same ticks, byte for byte).
    assert scheduler(env, "--as-of", "2027-02-05T18:30:00Z")["event_ids"] == []
    # The next day, the serials still waiting get the next day's tick, once.
    next_day = ["tick:SN-A:hold_expiry:2027-02-06", "tick:SN-B:hold_expiry:2027-02-06"]
    assert scheduler(env, "--as-of", "2027-02-06T00:10:00Z")["event_ids"] == next_day
    values = [value for _, value in read_topic(settings, "ticks")]
    assert Counter(orjson.loads(value or b"")["event_id"] for value in values) == dict.fromkeys(EXPIRED + next_day, 1)


def test_the_hold_period_comes_from_the_settings(held_env: tuple[Settings, dict[str, str]]) -> None:
    settings, env = held_env
    longer = {**env, "LIFECYCLE_HOLD_DAYS": "35"}  # SN-A's 35 days end on 2027-02-05, SN-B's on 2027-02-09
    dry = scheduler(longer, "--as-of", PAST, "--dry-run")
    assert dry["event_ids"] == ["tick:SN-A:hold_expiry:2027-02-05"]
    assert [tick["kind"] for tick in dry["tick_events"]] == ["hold_expiry"]
    assert read_topic(settings, "ticks") == []


def test_a_held_event_stored_before_the_year_bounds_cannot_stop_the_sweep(
    held_env: tuple[Settings, dict[str, str]], topics: Settings
) -> None:
    _, env = held_env
    with psycopg2.connect(topics.database_url.get_secret_value()) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO held_events (serial, event_id, type, occurred_at, held_since)"
            " VALUES ('SN-Z', 'rn-z', 'renewal', '0001-01-01T00:00:00+05:00', '0001-01-01T00:00:00+05:00')"
        )  # 1 BC in UTC: read as held since the contract's first year, so long past its hold period
    assert scheduler(env, "--as-of", PAST, "--dry-run")["event_ids"] == [*EXPIRED, "tick:SN-Z:hold_expiry:2027-02-05"]
