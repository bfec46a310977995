"""The scheduler against the real broker and PostgreSQL: ticks, deterministic ids, catch-up, two at once."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg2
import pytest
from pg_admin import run_sql
from scheduler_helpers import CATCH_UP, FIRST_SWEEP, T1, T3, as_store, store
from store_samples import snapshot
from topic_reading import read_topic

import consumers.scheduler.pages as pages_module
from consumers.scheduler.sweep import find_due_ticks, sweep
from lifecycle.rules import Policy
from lifecycle.settings import Settings
from schemas import validate

pytestmark = pytest.mark.integration


def scheduler(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "lifecycle.cli", "scheduler", "--once", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def summary(process: subprocess.Popen[str]) -> dict[str, Any]:
    return summary_and_log(process)[0]


def summary_and_log(process: subprocess.Popen[str]) -> tuple[dict[str, Any], str]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    result: dict[str, Any] = orjson.loads(out)
    return result, err


def watermark(settings: Settings) -> tuple[datetime, datetime]:
    """The stored watermark: ticks due up to `swept_until` went out; `rows_seen_at`, the clock the sweep read."""
    query = "SELECT swept_until, rows_seen_at FROM scheduler_watermarks"
    [(swept_until, rows_seen_at)] = run_sql(settings.database_url.get_secret_value(), query)
    return swept_until, rows_seen_at


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def tick_ids(settings: Settings) -> list[str]:
    ticks = [orjson.loads(value or b"") for _, value in read_topic(settings, "ticks")]
    return [tick["event_id"] for tick in ticks]


def test_a_sweep_emits_due_ticks_with_deterministic_ids_and_catches_up(
    scheduler_env: tuple[Settings, dict[str, str]],
) -> None:
    settings, env = scheduler_env
    first = summary(scheduler(env, "--as-of", T1))
    assert first["event_ids"] == FIRST_SWEEP
    records = read_topic(settings, "ticks")
    for key, value in records:
        tick = validate("tick", orjson.loads(value or b""))
        assert key == tick["serial"].encode()
    assert sorted(orjson.loads(value or b"")["event_id"] for _, value in records) == sorted(FIRST_SWEEP)

    # The watermark never passes the clock: a sweep as of a later instant leaves what comes after now to the
    # sweeps of then, and the ledger keeps them from sending its ticks again.
    swept_until, rows_seen_at = watermark(settings)
    assert swept_until == min(at(T1), rows_seen_at)

    # The rows were stored moments ago, so a second run looks at them again: their ticks went out, none goes again.
    again = summary(scheduler(env, "--as-of", T1))
    assert (again["event_ids"], again["sent_before"]) == ([], len(FIRST_SWEEP))

    # A week of downtime later, with rows stored long ago: everything due since the watermark, and of what was due
    # before T1 (when the watermark stayed at the clock, before T1) only what the ledger says goes again.
    run_sql(as_store(settings), "UPDATE entitlements SET stored_at = stored_at - interval '1 hour'")
    swept_until, _ = watermark(settings)
    catch_up = summary(scheduler(env, "--as-of", T3))
    assert (at(catch_up["after"]), catch_up["event_ids"]) == (swept_until, CATCH_UP)
    swept_until, rows_seen_at = watermark(settings)
    assert swept_until == min(at(T3), rows_seen_at)

    # An entitlement that reaches the store late still gets the reminders it is owed, within the same day; the
    # overdue expiry and version check went out today already.
    store(as_store(settings), [snapshot("E", 1, expires_on="2027-03-20")])
    late = summary(scheduler(env, "--as-of", "2027-03-15T02:00:00Z"))
    assert late["event_ids"] == ["tick:E:reminder:2027-02-18:30", "tick:E:reminder:2027-03-13:7"]

    # The next day, what is still overdue (the processor re-checks it) goes out once more, and only once.
    next_day = summary(scheduler(env, "--as-of", "2027-03-16T00:30:00Z"))
    assert next_day["event_ids"] == ["tick:A:expiry:2027-03-15", "tick:D:version_check:2026-05-01"]
    assert summary(scheduler(env, "--as-of", "2027-03-16T00:31:00Z"))["event_ids"] == []


def test_a_watermark_stored_in_the_future_is_read_as_now_and_replaced(
    scheduler_env: tuple[Settings, dict[str, str]],
) -> None:
    """As an earlier version stored it after `--once --as-of 9000-01-01T00:00:00Z`: every later window was inverted."""
    settings, env = scheduler_env
    summary(scheduler(env, "--as-of", T1))
    run_sql(settings.database_url.get_secret_value(), "UPDATE scheduler_watermarks SET swept_until = '9000-01-01Z'")

    recovered, log = summary_and_log(scheduler(env))
    [warning] = [line for line in log.splitlines() if " WARNING consumers.scheduler" in line]
    assert "the stored watermark 9000-01-01T00:00:00+00:00 is later than the clock: swept from now" in warning
    swept_until, rows_seen_at = watermark(settings)
    assert at(recovered["after"]) == swept_until <= rows_seen_at  # swept from now, and now stored: behind the clock

    _, log = summary_and_log(scheduler(env))
    assert " WARNING consumers.scheduler" not in log


def test_two_schedulers_at_once_emit_identical_ticks(scheduler_env: tuple[Settings, dict[str, str]]) -> None:
    settings, env = scheduler_env
    first, second = scheduler(env, "--as-of", T1), scheduler(env, "--as-of", T1)
    one, two = summary(first), summary(second)
    # One sweeps at a time: the other skipped (it found the lock taken) or came after (the ledger held every tick).
    assert sorted([*one.get("event_ids", []), *two.get("event_ids", [])]) == sorted(FIRST_SWEEP)
    records = [value for _, value in read_topic(settings, "ticks")]
    counts = Counter(orjson.loads(value or b"")["event_id"] for value in records)
    assert counts == dict.fromkeys(FIRST_SWEEP, 1)
    by_id: dict[str, set[bytes]] = {}
    for value in records:
        by_id.setdefault(orjson.loads(value or b"")["event_id"], set()).add(value or b"")
    assert all(len(values) == 1 for values in by_id.values()), "the same tick id carried different content"


def test_a_dry_run_publishes_nothing_and_keeps_the_watermark(scheduler_env: tuple[Settings, dict[str, str]]) -> None:
    settings, env = scheduler_env
    result = summary(scheduler(env, "--as-of", T1, "--dry-run"))
    assert [tick["event_id"] for tick in result["tick_events"]] == FIRST_SWEEP
    assert read_topic(settings, "ticks") == []
    assert run_sql(settings.database_url.get_secret_value(), "SELECT count(*) FROM scheduler_watermarks") == [(0,)]


def test_the_watermark_stays_when_publishing_fails(scheduler_env: tuple[Settings, dict[str, str]]) -> None:
    settings, _ = scheduler_env

    def broken_publish(ticks: Sequence[dict[str, Any]]) -> None:
        raise RuntimeError("broker unavailable")

    connection = psycopg2.connect(settings.database_url.get_secret_value())
    try:
        with pytest.raises(RuntimeError):
            sweep(
                connection,
                broken_publish,
                Policy.with_lead_days((30, 7, 1)),
                datetime(2027, 3, 8, 12, tzinfo=UTC),
            )
    finally:
        connection.close()
    assert run_sql(settings.database_url.get_secret_value(), "SELECT count(*) FROM scheduler_watermarks") == [(0,)]


@pytest.mark.parametrize("page_rows", [1, 3])
def test_a_sweep_read_a_few_rows_a_page_finds_the_same_ticks(
    scheduler_env: tuple[Settings, dict[str, str]], monkeypatch: pytest.MonkeyPatch, page_rows: int
) -> None:
    settings, _ = scheduler_env
    monkeypatch.setattr(pages_module, "PAGE_ROWS", page_rows)
    connection = psycopg2.connect(settings.database_url.get_secret_value())
    try:
        report, _ = find_due_ticks(connection, settings.policy(), datetime(2027, 3, 8, 12, tzinfo=UTC))
    finally:
        connection.close()
    assert [tick["event_id"] for tick in report.ticks] == FIRST_SWEEP
    assert report.candidates == 4


@pytest.mark.parametrize("page_rows", [1, 3])
def test_a_later_sweep_read_a_few_rows_a_page_finds_the_same_ticks(
    scheduler_env: tuple[Settings, dict[str, str]], monkeypatch: pytest.MonkeyPatch, page_rows: int
) -> None:
    settings, _ = scheduler_env
    connection = psycopg2.connect(settings.database_url.get_secret_value())
    try:
        sweep(connection, lambda ticks: None, settings.policy(), datetime(2027, 3, 8, 12, tzinfo=UTC))
        run_sql(as_store(settings), "UPDATE entitlements SET stored_at = stored_at - interval '1 hour'")
        monkeypatch.setattr(pages_module, "PAGE_ROWS", page_rows)
        # With a watermark, the rows due, changed or on a version whose support ended are read arm by arm.
        report, _ = find_due_ticks(connection, settings.policy(), datetime(2027, 3, 15, 1, tzinfo=UTC))
    finally:
        connection.close()
    assert [tick["event_id"] for tick in report.ticks] == CATCH_UP
    assert report.candidates == 3  # A and B expire by the window's end, D is on version 9; C is neither
