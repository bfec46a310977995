"""Handle one message of the notices topic: decode, consult the ledger, render, deliver, record."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

import schemas
from consumers.notifier.delivery import PermanentDeliveryError, TransientDeliveryError, Transport
from consumers.notifier.freshness import staleness
from consumers.notifier.ledger import Ledger, LedgerRejectedError, LedgerUnavailableError
from consumers.notifier.message import MissingRecipientError, build_message, recipient_of
from consumers.notifier.render import NoticeRenderer, RenderError
from lifecycle import metrics

COMPONENT = "notifier"


class Record(Protocol):
    """The parts of a consumed Kafka record the handler reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class DeadLetters(Protocol):
    """Publishes a rejected input, with its reason, to the dead-letter topic (durably, before returning)."""

    def send(self, record: Record, reason: str) -> None: ...


class Outcome(enum.Enum):
    """What became of one message."""

    SENT = "sent"
    SKIPPED = "skipped"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "deadletter"


class RetryLaterError(Exception):
    """A temporary failure: the message must be handled again, and its offset not committed."""


def decode_notice(raw: bytes | None) -> dict[str, Any]:
    """Parse and validate one notice; raise schemas.InvalidMessage with the field and the problem."""
    if raw is None:
        raise schemas.InvalidMessage("(document): empty message")
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise schemas.InvalidMessage(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise schemas.InvalidMessage(f"(document): expected a JSON object, got {type(document).__name__}")
    return schemas.validate("notice", document)


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class NoticeHandler:
    """Sends each notice once, as the ledger tells; stale ones are skipped, undeliverable ones dead-lettered.

    A notice sent while the ledger cannot record it (PostgreSQL away) is remembered here and recorded
    on the retry, not sent again; only a crash between the send and the record sends it twice.
    """

    def __init__(
        self,
        renderer: NoticeRenderer,
        transport: Transport,
        ledger: Ledger,
        dead_letters: DeadLetters,
        mail_from: str,
        *,
        max_age_days: int,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.renderer = renderer
        self.transport = transport
        self.ledger = ledger
        self.dead_letters = dead_letters
        self.mail_from = mail_from
        self.max_age_days = max_age_days
        self.now = now
        self._sent_unrecorded: dict[str, tuple[str, str, str]] = {}

    def handle(self, record: Record) -> Outcome:
        """Deliver the notice in `record`; raise RetryLaterError when a later attempt may succeed."""
        try:
            notice = decode_notice(record.value)
        except schemas.InvalidMessage as exc:
            self.dead_letters.send(record, f"invalid notice: {exc}")
            return Outcome.DEAD_LETTERED
        try:
            unrecorded = self._sent_unrecorded.get(notice["notice_id"])
            if unrecorded is not None:
                self.ledger.record_sent(notice["notice_id"], *unrecorded)
                del self._sent_unrecorded[notice["notice_id"]]
                return Outcome.SENT
            if self.ledger.begin(notice).done:
                return Outcome.DUPLICATE
            # R17: judged at delivery time, so a notice retried or redriven until it is stale is skipped too.
            stale = staleness(notice, self.now().astimezone(UTC).date(), self.max_age_days)
            if stale is not None:
                self.ledger.record_skipped(notice["notice_id"], stale.reason, stale.detail)
                metrics.NOTICES_SKIPPED.labels(notice["kind"], stale.reason).inc()
                return Outcome.SKIPPED
            return self._deliver(record, notice)
        except LedgerUnavailableError as exc:
            raise RetryLaterError(str(exc)) from exc
        except LedgerRejectedError as exc:
            self.dead_letters.send(record, f"invalid notice: the delivery ledger refused it: {exc}")
            return Outcome.DEAD_LETTERED

    def _deliver(self, record: Record, notice: Mapping[str, Any]) -> Outcome:
        notice_id = notice["notice_id"]
        try:
            recipient = recipient_of(notice)
            message = build_message(notice, self.renderer.render(notice), self.mail_from)
        except (MissingRecipientError, RenderError) as exc:
            reason = str(exc) if isinstance(exc, MissingRecipientError) else f"cannot render notice: {exc}"
            return self._dead_letter(record, notice_id, reason)
        try:
            self.transport.send(notice_id, message)
        except TransientDeliveryError as exc:
            self.ledger.record_failure(notice_id, str(exc))
            raise RetryLaterError(str(exc)) from exc
        except PermanentDeliveryError as exc:
            return self._dead_letter(record, notice_id, f"delivery refused: {exc}")
        delivery = (self.transport.name, str(message["Message-ID"]), recipient.addr_spec)
        self._sent_unrecorded[notice_id] = delivery
        self.ledger.record_sent(notice_id, *delivery)
        del self._sent_unrecorded[notice_id]
        metrics.NOTICES_DELIVERED.labels(notice["kind"], self.transport.name).inc()
        return Outcome.SENT

    def _dead_letter(self, record: Record, notice_id: str, reason: str) -> Outcome:
        self.dead_letters.send(record, reason)
        self.ledger.record_dead_letter(notice_id, reason)
        return Outcome.DEAD_LETTERED
