"""The dashboard counts the notices the notifier skipped as stale (R17), by kind and reason, from PostgreSQL."""

from __future__ import annotations

import psycopg2
from dashboard_fixtures import Dashboard

LEDGER_ROWS = (
    ("skip-1", "expiry_reminder", "skipped", "expiry_passed"),
    ("skip-2", "expiry_reminder", "skipped", "expiry_passed"),
    ("skip-3", "support_started", "skipped", "too_old"),
    ("skip-4", "support_started", "sent", None),
    ("skip-5", "support_expired", "dead_lettered", None),
)


def insert_ledger_rows(pg_dsn: str) -> None:
    """Ledger rows as the notifier writes them: 3 skipped (2 reminders after their expiry, 1 too old), 2 others."""
    with psycopg2.connect(pg_dsn) as connection, connection.cursor() as cursor:
        for notice_id, kind, status, reason in LEDGER_ROWS:
            cursor.execute(
                "INSERT INTO delivery_ledger (notice_id, kind, serial, account_id, due_on, status, skip_reason)"
                " VALUES (%s, %s, 'S1', 'a', current_date - 400, %s, %s)",
                (notice_id, kind, status, reason),
            )
    connection.close()


def test_skipped_notices_are_counted_by_kind_and_reason(dashboard: Dashboard, pg_dsn: str) -> None:
    empty = dashboard.poll("/api/figures", lambda f: f["figures"] is not None)["figures"]["notices"]
    assert (empty["skipped"], empty["skipped_by_reason"]) == (0, [])
    insert_ledger_rows(pg_dsn)

    notices = dashboard.poll("/api/figures", lambda f: f["figures"]["notices"]["skipped"] == 3)["figures"]["notices"]

    assert notices["skipped_by_reason"] == [
        {"kind": "expiry_reminder", "reason": "expiry_passed", "count": 2},
        {"kind": "support_started", "reason": "too_old", "count": 1},
    ]
    assert notices["by_status"] == {"dead_lettered": 1, "sent": 1, "skipped": 3}
