"""One serial from PostgreSQL with the read-only role: find it, its entitlement, revisions, held events and notices."""

from __future__ import annotations

from typing import Any

import psycopg2
import psycopg2.extras

from lifecycle.dashboard.letter_detail import mask_document
from lifecycle.dashboard.serial_words import in_words, timeline
from lifecycle.dashboard.store_view import readonly_dsn
from lifecycle.personal import mask_address, mask_personal
from lifecycle.settings import Settings

MATCHES = 50
REVISIONS = 200
# One indexed lookup per way of finding a serial (a single OR over them would read the whole table).
FIND = """
SELECT serial, account_id, status, program, line, family, version, expires_on FROM entitlements
WHERE serial IN (
    SELECT serial FROM entitlements WHERE serial = %(q)s
    UNION SELECT serial FROM entitlements WHERE account_id = %(q)s
    UNION SELECT serial FROM entitlements WHERE lower(document->'contact'->>'email') = lower(%(q)s)
    UNION SELECT serial FROM delivery_ledger WHERE lower(recipient) = lower(%(q)s)
)
ORDER BY serial LIMIT %(limit)s
"""
CURRENT = "SELECT document, stored_at FROM entitlements WHERE serial = %s"
REVISIONS_OF = "SELECT document FROM entitlement_revisions WHERE serial = %s ORDER BY revision DESC LIMIT %s"
# Instants as ISO text from PostgreSQL: a row stored before the store held them to the contract's years (even BC)
# is shown as stored, where the driver's datetime could not hold it.
HELD = """
SELECT event_id, type, to_json(occurred_at) #>> '{}' AS occurred_at, to_json(held_since) #>> '{}' AS held_since
FROM held_events WHERE serial = %s ORDER BY held_events.occurred_at
"""
NOTICES = """
SELECT notice_id, kind, due_on, status, skip_reason, attempts, transport, recipient, last_error, sent_at, updated_at
FROM delivery_ledger WHERE serial = %s ORDER BY due_on DESC, notice_id LIMIT 500
"""


def _plain(value: Any) -> Any:
    """Dates and instants as ISO text, for JSON."""
    return value.isoformat() if hasattr(value, "isoformat") else value


class SerialReader:
    """Opens a read-only connection per lookup (a console answers a person, not a stream)."""

    def __init__(self, settings: Settings) -> None:
        self.dsn = readonly_dsn(settings)

    def _rows(self, statement: str, params: Any) -> list[dict[str, Any]]:
        connection = psycopg2.connect(self.dsn, connect_timeout=5, application_name="lifecycle-dashboard")
        try:
            connection.set_session(readonly=True, autocommit=True)
            with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
                cursor.execute(statement, params)
                return [{key: _plain(value) for key, value in row.items()} for row in cursor.fetchall()]
        finally:
            connection.close()

    def find(self, query: str) -> list[dict[str, Any]]:
        """Serials whose serial, account id or e-mail address (contact or notice recipient) is `query`."""
        return self._rows(FIND, {"q": query, "limit": MATCHES})

    def serial(self, serial: str) -> dict[str, Any] | None:
        """Everything PostgreSQL knows of one serial, personal data masked; None when it has no entitlement."""
        current = self._rows(CURRENT, (serial,))
        if not current:
            return None
        document = current[0]["document"]
        revisions = [row["document"] for row in self._rows(REVISIONS_OF, (serial, REVISIONS))][::-1]
        return {
            "serial": serial,
            "stored_at": current[0]["stored_at"],
            "entitlement": in_words(document),
            "document": mask_document(document),
            "timeline": timeline(revisions),
            "held": self._rows(HELD, (serial,)),
            "notices": [_notice(row) for row in self._rows(NOTICES, (serial,))],
        }


def _notice(row: dict[str, Any]) -> dict[str, Any]:
    recipient = row.get("recipient")
    return {
        **row,
        "recipient": mask_address(recipient) if isinstance(recipient, str) else None,
        "last_error": mask_personal(row["last_error"]) if isinstance(row.get("last_error"), str) else None,
    }
