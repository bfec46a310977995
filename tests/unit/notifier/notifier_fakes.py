"""In-memory stand-ins for the notifier's ports: ledger, transport, dead-letter sink, clock, and a Kafka record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import orjson

from consumers.notifier.delivery_errors import PermanentDeliveryError, TransientDeliveryError
from consumers.notifier.ledger import CLAIM_LEASE
from consumers.notifier.ledger_port import (
    DEFERRED,
    FINAL_STATUSES,
    LedgerEntry,
    LedgerRejectedError,
    LedgerUnavailableError,
    ParkedRecord,
    kept_text,
)

# What leaving the park clears (sent, dead-lettered, skipped), and what sent or dead-lettered forgets.
UNPARKED: dict[str, Any] = {"retry_at": None, "parked": None}
NO_DEFERRALS: dict[str, Any] = {"deferrals": 0, "first_deferred_at": None}


@dataclass
class FakeRecord:
    value: bytes | None
    key: bytes | None = b"SN-1"
    topic: str = "t.notices"
    partition: int = 0
    offset: int = 0
    headers: list[tuple[str, bytes]] = field(default_factory=list)

    @classmethod
    def of(cls, notice: Mapping[str, Any], offset: int = 0) -> FakeRecord:
        return cls(value=orjson.dumps(notice), offset=offset)


@dataclass
class FakeLedger:
    """The delivery ledger in memory, held to PostgresLedger by tests/ledger_contract.py."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # two FakeLedgers on one dict: two notifiers
    available: bool = True
    outages_on_record: int = 0  # how many record_* calls fail as if PostgreSQL went away
    reject: bool = False
    today: date = date(2026, 3, 15)  # the UTC day of the database's clock, for the per-recipient cap
    owner: str = "notifier-a"  # this notifier's id in the claims it holds
    lease: timedelta = CLAIM_LEASE

    def _check(self, *values: object) -> None:
        if not self.available:
            raise LedgerUnavailableError("PostgreSQL: connection refused")
        if self.reject or any(isinstance(value, str) and "\x00" in value for value in values):
            raise LedgerRejectedError("A string literal cannot contain NUL (0x00) characters.")

    def begin(self, notice: Mapping[str, Any]) -> LedgerEntry:
        self._check(*(notice[name] for name in ("notice_id", "kind", "serial", "account_id", "due_on")))
        try:
            date.fromisoformat(notice["due_on"])  # as the `date` column: an impossible day is refused
        except ValueError:
            raise LedgerRejectedError(f'date/time field value out of range: "{notice["due_on"]}"') from None
        row = self.rows.setdefault(notice["notice_id"], {"status": "pending", "attempts": 0})
        now = datetime.now(UTC)  # as PostgreSQL's now(): a lease runs in real time
        holder = row.get("claimed_by")
        if row["status"] not in FINAL_STATUSES and (holder in (None, self.owner) or row["claimed_until"] <= now):
            row.update(claimed_by=self.owner, claimed_until=now + self.lease)
        other = row.get("claimed_by") if row.get("claimed_by") != self.owner else None
        return LedgerEntry(row["status"], row["attempts"], row.get("last_error"), other)

    def _update(self, notice_id: str, attempt: bool = True, **changes: Any) -> None:
        self._check(notice_id, *changes.values())
        if self.outages_on_record:
            self.outages_on_record -= 1
            raise LedgerUnavailableError("PostgreSQL: server closed the connection unexpectedly")
        row = self.rows.get(notice_id)  # as PostgresLedger: a notice never begun has no row to update
        if row is not None and row["status"] not in FINAL_STATUSES:  # and a sent or skipped row never changes
            row.update(changes, attempts=row["attempts"] + int(attempt))
            if row.get("claimed_by") == self.owner:  # only its own claim: another's may have followed a lapsed one
                row.update(claimed_by=None, claimed_until=None)

    def record_sent(self, notice_id: str, transport: str, message_id: str, recipient: str) -> None:
        self._update(
            notice_id,
            status="sent",
            transport=transport,
            message_id=message_id,
            recipient=recipient,
            last_error=None,
            counted_on=self.today,
            **UNPARKED,
            **NO_DEFERRALS,
        )

    def record_failure(self, notice_id: str, error: str) -> None:
        row = self.rows.get(notice_id, {})
        self._update(
            notice_id, status=DEFERRED if row.get("status") == DEFERRED else "retrying", last_error=kept_text(error)
        )

    def record_dead_letter(self, notice_id: str, reason: str) -> None:
        self._update(notice_id, status="dead_lettered", last_error=kept_text(reason), **UNPARKED, **NO_DEFERRALS)

    def record_skipped(self, notice_id: str, reason: str, detail: str) -> None:
        self._update(
            notice_id, attempt=False, status="skipped", skip_reason=reason, last_error=kept_text(detail), **UNPARKED
        )

    def release(self, notice_id: str) -> None:
        self._check(notice_id)
        row = self.rows.get(notice_id)
        if row is not None and row.get("claimed_by") == self.owner:
            row.update(claimed_by=None, claimed_until=None)

    def count_deferral(self, notice_id: str, at: datetime) -> tuple[int, datetime]:
        self._check(notice_id)
        row = self.rows.get(notice_id)
        if row is None or row["status"] in FINAL_STATUSES:
            return 1, at
        row.update(deferrals=row.get("deferrals", 0) + 1, first_deferred_at=row.get("first_deferred_at") or at)
        return row["deferrals"], row["first_deferred_at"]

    def park(self, notice_id: str, error: str, retry_at: datetime, record: ParkedRecord) -> None:
        self._update(notice_id, status=DEFERRED, last_error=kept_text(error), retry_at=retry_at, parked=record)

    def park_held(self, notice_id: str, holder: str, retry_at: datetime, record: ParkedRecord) -> bool:
        self._check(notice_id)
        row = self.rows.get(notice_id)
        held = row is not None and row.get("claimed_by") == holder and row["claimed_until"] > datetime.now(UTC)
        if row is None or not held or row["status"] not in ("pending", "retrying"):
            return False
        row.update(status=DEFERRED, retry_at=retry_at, parked=record)
        return True

    def take_due(self, now: datetime, limit: int) -> list[ParkedRecord]:
        self._check()
        clock = datetime.now(UTC)  # as PostgreSQL's now(): a lease runs in real time
        due = sorted(
            (row["retry_at"], notice_id)
            for notice_id, row in self.rows.items()
            if row["status"] == DEFERRED
            and row["retry_at"] <= now
            and (row.get("claimed_by") in (None, self.owner) or row["claimed_until"] <= clock)
        )[:limit]
        for _, notice_id in due:
            self.rows[notice_id].update(claimed_by=self.owner, claimed_until=clock + self.lease)
        return [self.rows[notice_id]["parked"] for _, notice_id in due]

    def claim_recipient(self, notice_id: str, recipient: str, daily_cap: int) -> bool:
        self._check(notice_id, recipient)
        counted = sum(
            1
            for other_id, row in self.rows.items()
            if other_id != notice_id
            and str(row.get("recipient", "")).lower() == recipient.lower()
            and row.get("counted_on") == self.today
            and row["status"] in {"pending", "retrying", DEFERRED, "sent"}
        )
        if counted >= daily_cap:
            return False
        row = self.rows.get(notice_id)
        if row is not None and row["status"] not in FINAL_STATUSES:
            row.update(recipient=recipient, counted_on=self.today)
        return True


@dataclass
class FakeTransport:
    name: str = "smtp"
    failures: list[Exception] = field(default_factory=list)
    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, notice_id: str, message: EmailMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class FakeClock:
    """The notifier's wall clock, set by the test; by default the day the sample notices are due."""

    at: datetime = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


TRANSIENT = TransientDeliveryError("SMTP 451 try again later")
PERMANENT = PermanentDeliveryError("SMTP 550 no such user")
