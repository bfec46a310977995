"""The dashboard counts the events held for their serial's purchase, and their serials, from PostgreSQL."""

from __future__ import annotations

import psycopg2
from dashboard_fixtures import Dashboard


def insert_held(pg_dsn: str) -> None:
    """Rows as the store writes them from holds records: three events held for two serials."""
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        for serial, event_id, kind in (("S1", "rn-1", "renewal"), ("S1", "up-1", "upgrade"), ("S2", "p-2", "purchase")):
            cursor.execute(
                "INSERT INTO held_events (serial, event_id, type, occurred_at, held_since)"
                " VALUES (%s, %s, %s, now() - interval '2 days', now())",
                (serial, event_id, kind),
            )
    connection.close()


def test_held_events_and_their_serials_are_counted(dashboard: Dashboard, pg_dsn: str) -> None:
    empty = dashboard.poll("/api/figures", lambda f: f["figures"] is not None)
    assert empty["figures"]["holds"] == {"events": 0, "serials": 0}
    insert_held(pg_dsn)
    figures = dashboard.poll("/api/figures", lambda f: f["figures"]["holds"]["events"] == 3)["figures"]
    assert figures["holds"] == {"events": 3, "serials": 2}
