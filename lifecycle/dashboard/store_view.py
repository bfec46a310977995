"""Entitlement and notice figures from PostgreSQL, read with the read-only role."""

from __future__ import annotations

from typing import Any

import psycopg2
import psycopg2.errors

from lifecycle.settings import Settings
from lifecycle.stack import credentials

EXPIRING_DAYS = 30
NOTICE_DAYS = 14

STATUS_COUNTS = "SELECT status, count(*) FROM entitlements GROUP BY status ORDER BY status"
EXPIRING = (
    "SELECT count(*) FROM entitlements WHERE status = 'active' "
    "AND expires_on >= current_date AND expires_on < current_date + %s"
)
BY_PROGRAM_LINE = (
    "SELECT program, line, status, count(*) FROM entitlements "
    "GROUP BY program, line, status ORDER BY program, line, status"
)
NOTICES_PER_DAY = (
    "SELECT (sent_at AT TIME ZONE 'UTC')::date AS day, kind, count(*) FROM delivery_ledger "
    "WHERE status = 'sent' AND sent_at >= current_date - %s GROUP BY day, kind ORDER BY day DESC, kind"
)
NOTICE_STATES = "SELECT status, count(*) FROM delivery_ledger GROUP BY status ORDER BY status"
NOTICES_SKIPPED = (
    "SELECT kind, skip_reason, count(*) FROM delivery_ledger WHERE status = 'skipped' "
    "GROUP BY kind, skip_reason ORDER BY kind, skip_reason"
)
HELD = "SELECT count(*), count(DISTINCT serial) FROM held_events"


def readonly_dsn(settings: Settings) -> str:
    """The dashboard's DSN: the read-only one, else LIFECYCLE_DATABASE_URL, else the local stack's read-only role."""
    configured = settings.database_readonly_url.get_secret_value() or settings.database_url.get_secret_value()
    return configured or credentials.readonly_dsn(settings)


class StoreFigures:
    """Runs the figure queries on one read-only connection, reconnecting after a failure."""

    def __init__(self, settings: Settings) -> None:
        self.dsn = readonly_dsn(settings)
        self.connection: Any = None

    def close(self) -> None:
        """Close the connection if open."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def read(self) -> dict[str, Any]:
        """Every figure; a section whose table is missing carries an `error` instead."""
        if self.connection is None:
            self.connection = psycopg2.connect(self.dsn, connect_timeout=5, application_name="lifecycle-dashboard")
            self.connection.set_session(readonly=True, autocommit=True)
        try:
            return {"entitlements": self._entitlements(), "notices": self._notices(), "holds": self._holds()}
        except psycopg2.Error:
            self.close()
            raise

    def _query(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    def _entitlements(self) -> dict[str, Any]:
        try:
            by_status = dict(self._query(STATUS_COUNTS))
            (expiring,) = self._query(EXPIRING, (EXPIRING_DAYS,))[0]
            rows = self._query(BY_PROGRAM_LINE)
        except psycopg2.errors.UndefinedTable:
            return {"error": "the entitlements table does not exist yet: run `lifecycle db migrate`"}
        return {
            "total": sum(by_status.values()),
            "by_status": by_status,
            "active": by_status.get("active", 0),
            "pending_registration": by_status.get("pending_registration", 0),
            "expired": by_status.get("expired", 0),
            "expiring_within_days": EXPIRING_DAYS,
            "expiring": expiring,
            "by_program_line": [
                {"program": program, "line": line, "status": status, "count": count}
                for program, line, status, count in rows
            ],
        }

    def _notices(self) -> dict[str, Any]:
        try:
            per_day = self._query(NOTICES_PER_DAY, (NOTICE_DAYS,))
            states = dict(self._query(NOTICE_STATES))
            skipped = self._query(NOTICES_SKIPPED)
        except psycopg2.errors.UndefinedTable:
            return {"error": "the delivery ledger table does not exist yet: run `lifecycle db migrate`"}
        return {
            "days": NOTICE_DAYS,
            "sent_per_day": [{"day": day.isoformat(), "kind": kind, "count": count} for day, kind, count in per_day],
            "by_status": states,
            # Stale notices (R17): recorded, never sent.
            "skipped": sum(count for _, _, count in skipped),
            "skipped_by_reason": [{"kind": kind, "reason": reason, "count": count} for kind, reason, count in skipped],
        }

    def _holds(self) -> dict[str, Any]:
        try:
            ((events, serials),) = self._query(HELD)
        except psycopg2.errors.UndefinedTable:
            return {"error": "the held_events table does not exist yet: run `lifecycle db migrate`"}
        return {"events": events, "serials": serials}
