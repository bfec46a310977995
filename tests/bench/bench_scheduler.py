"""Benchmark: ticks one scheduler sweep emits when nothing new falls due, a sweep a minute for an hour.

    .venv/bin/python tests/bench/bench_scheduler.py [--entitlements 10000] [--sweeps 60]

Two cases, each on N entitlements: `changed`, rows stored moments ago whose due ticks (the 30-day reminder)
a first sweep already sent; `overdue`, rows whose expiry is overdue while the worker is down (so nothing acts
on them), stored an hour ago. Needs PostgreSQL only (LIFECYCLE_TEST_PG_ADMIN_URL): ticks are counted, not
published; uses its own database and drops it. Prints one JSON document with the figures.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

sys.path.insert(0, str(Path(__file__).parent.parent))
from pg_admin import ADMIN_URL, with_database
from store_samples import encoded, snapshot

from consumers.db import migrate
from consumers.scheduler.sweep import sweep
from consumers.store.mapping import Batch, entitlement_row
from consumers.store.repository import write_batch
from lifecycle.rules import Policy
from lifecycle.settings import Settings

AS_OF = datetime(2027, 3, 8, 12, tzinfo=UTC)


def store(dsn: str, count: int, expires_on: date, revision: int) -> None:
    """Write `count` active entitlements expiring on `expires_on`, at this revision."""
    rows = [
        entitlement_row(encoded(snapshot(f"SN-{n:07d}", revision, expires_on=expires_on.isoformat())))
        for n in range(count)
    ]
    connection = psycopg2.connect(dsn)
    try:
        for start in range(0, len(rows), 5000):
            write_batch(connection, Batch(entitlements=rows[start : start + 5000]))
    finally:
        connection.close()


def execute(dsn: str, statement: str) -> None:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
        connection.commit()
    finally:
        connection.close()


def sweeps(dsn: str, first: datetime, count: int) -> list[int]:
    """Ticks each of `count` sweeps emits, one a minute from `first`."""
    emitted: list[int] = []

    def publish(ticks: Sequence[dict[str, Any]]) -> None:
        emitted.append(len(ticks))

    policy = Policy.with_lead_days((30, 7, 1))
    for minute in range(count):
        connection = psycopg2.connect(dsn)
        try:
            sweep(connection, publish, policy, first + timedelta(minutes=minute))
        finally:
            connection.close()
    return emitted


def figures(settings: Settings, case: str, count: int, sweep_count: int) -> dict[str, Any]:
    dsn = settings.database_url.get_secret_value()
    migrate(settings)
    if case == "changed":
        store(dsn, count, AS_OF.date() + timedelta(days=10), 1)
        first = sweeps(dsn, AS_OF, 1)
        store(dsn, count, AS_OF.date() + timedelta(days=10), 2)  # every row changes; nothing new falls due
        later = sweeps(dsn, AS_OF + timedelta(minutes=1), sweep_count)
    else:
        store(dsn, count, AS_OF.date() - timedelta(days=1), 1)
        execute(dsn, "UPDATE entitlements SET stored_at = stored_at - interval '1 hour'")
        first = sweeps(dsn, AS_OF, 1)
        later = sweeps(dsn, AS_OF + timedelta(minutes=1), sweep_count)
    next_day = sweeps(dsn, AS_OF + timedelta(days=1), 1)
    return {"first_sweep": first[0], "later_sweeps": later, "later_total": sum(later), "next_day": next_day[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entitlements", type=int, default=10_000)
    parser.add_argument("--sweeps", type=int, default=60)
    args = parser.parse_args()
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    result: dict[str, Any] = {"entitlements": args.entitlements, "sweeps_a_minute_apart": args.sweeps}
    try:
        for case in ("changed", "overdue"):
            database = f"lc_bench{secrets.token_hex(4)}"
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{database}"')
            dsn = with_database(ADMIN_URL, database)
            try:
                settings = Settings.from_env().replace(database_url=dsn, database_admin_url="")
                result[case] = figures(settings, case, args.entitlements, args.sweeps)
            finally:
                with admin.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        admin.close()
    for case in ("changed", "overdue"):
        result[case]["later_sweeps"] = summarize(result[case]["later_sweeps"])
    print(json.dumps(result, indent=2))
    return 0


def summarize(counts: list[int]) -> str:
    """A list of per-sweep counts, runs of equal counts folded: `10000 x 9, 0 x 51`."""
    runs: list[list[int]] = []
    for count in counts:
        if runs and runs[-1][0] == count:
            runs[-1][1] += 1
        else:
            runs.append([count, 1])
    return ", ".join(f"{count} x {times}" for count, times in runs)


if __name__ == "__main__":
    sys.exit(main())
