"""Handle one message of the notices topic: decode, consult the ledger, render, deliver, record."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import schemas
from consumers.deadletters import DeadLetters
from consumers.notifier.decoding import NewerNoticeError, decode_notice
from consumers.notifier.delivery import Transport
from consumers.notifier.delivery_errors import (
    DeferredDeliveryError,
    DeliveryUnknownError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from consumers.notifier.freshness import staleness
from consumers.notifier.ledger_port import RECIPIENT_CAP, Ledger, LedgerRejectedError, LedgerUnavailableError
from consumers.notifier.message import MissingRecipientError, build_message, mask_recipient, recipient_of
from consumers.notifier.parking import FIRST_DELAY, Parking, parked_elsewhere
from consumers.notifier.published_letters import PublishedLetters
from consumers.notifier.render import NoticeRenderer, RenderError
from consumers.notifier.unconfirmed import redriven, set_aside_unconfirmed, unconfirmed_reason
from consumers.record import Record
from lifecycle import metrics
from lifecycle.personal import mask_address, mask_personal

COMPONENT = "notifier"
# Dead-letter reasons' leading words (`lifecycle redrive --reason '…'` picks them out).
log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """What became of one message."""

    SENT = "sent"
    SKIPPED = "skipped"
    CAPPED = "capped"
    DUPLICATE = "duplicate"
    DEAD_LETTERED = "deadletter"
    DEFERRED = "deferred"  # parked in the ledger for a later try: its offset may be committed


class RetryLaterError(Exception):
    """A temporary failure: the message must be handled again, and its offset not committed."""


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


class NoticeHandler:
    """Sends each notice once, as the ledger tells; stale ones are skipped, undeliverable ones dead-lettered.

    A notice sent while the ledger cannot record it (PostgreSQL away) is remembered here and recorded
    on the retry, not sent again (a dead letter too: not published again); only a crash between the send
    and the record sends it twice. The ledger's claim keeps a second notifier from sending a notice this one
    is sending (a rebalance mid-send): that one retries the record later, when the ledger says how it went.
    At most `daily_cap` notices go to one address per UTC day (0: no cap), counted by the ledger; the
    rest are skipped. A notice the server defers (4xx about it) is parked in the ledger and tried again later by the
    parked rounds (see `parking`), the notices behind it going on, until it was deferred `defer_attempts` times over
    `defer_minutes`: then it is dead-lettered. One the server may or may not have taken (no verdict on its data) is
    dead-lettered, never resent unasked. Reasons and errors recorded or logged have the recipient masked.
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
        daily_cap: int = 0,
        defer_attempts: int = 5,
        defer_minutes: float = 1440,
        defer_first_delay: timedelta = FIRST_DELAY,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.renderer = renderer
        self.transport = transport
        self.ledger = ledger
        self.dead_letters = dead_letters
        self.mail_from = mail_from
        self.max_age_days = max_age_days
        self.daily_cap = daily_cap
        self.parking = Parking(ledger, defer_attempts, defer_minutes, defer_first_delay)
        # Sent with no verdict: the dead letter to publish and record, never a second send (a retry finishes it).
        self._unconfirmed: dict[str, str] = {}
        self.now = now
        self._sent_unrecorded: dict[str, tuple[str, str, str]] = {}
        self._letters = PublishedLetters()

    def handle(self, record: Record) -> Outcome:
        """Deliver the notice in `record`; raise RetryLaterError when a later attempt may succeed."""
        try:
            notice = decode_notice(record.value)
        except NewerNoticeError as exc:  # not mailed and not in the ledger, whose columns it may fill otherwise
            self.dead_letters.send(record, str(exc))
            return Outcome.DEAD_LETTERED
        except schemas.InvalidMessage as exc:
            self.dead_letters.send(record, mask_personal(f"invalid notice: {exc}"))
            return Outcome.DEAD_LETTERED
        try:
            letter = self._letters.reason(record)
            if letter is not None:  # published before the ledger went away: only its record is left to do
                return self._record_letter(record, notice, letter)
            unconfirmed = self._unconfirmed.get(notice["notice_id"])
            if unconfirmed is not None:
                return self._dead_letter(record, notice, unconfirmed)
            unrecorded = self._sent_unrecorded.get(notice["notice_id"])
            if unrecorded is not None:
                self.ledger.record_sent(notice["notice_id"], *unrecorded)
                del self._sent_unrecorded[notice["notice_id"]]
                return Outcome.SENT
            entry = self.ledger.begin(notice)
            if entry.done or (set_aside_unconfirmed(entry) and not redriven(record)) or parked_elsewhere(entry, record):
                # Sent again only when redriven: one the server may have taken, or a parked one (the park sends it).
                if not entry.done and entry.claimed_by_other is None:
                    self.ledger.release(notice["notice_id"])  # left as it was: a redriven copy elsewhere goes at once
                return Outcome.DUPLICATE
            holder = entry.claimed_by_other
            if holder is not None:  # maybe sending it now: parked, not to hold the notices behind it
                if self.parking.wait_for(record, notice["notice_id"], holder, self.now()):
                    return Outcome.DEFERRED
                raise RetryLaterError(f"notice {notice['notice_id']} was just let go by {holder}: read it again")
            # R17: judged at delivery time, so a notice retried or redriven until it is stale is skipped too.
            now = self.now().astimezone(UTC)  # read once: the day judged is the day the email names
            stale = staleness(notice, now.date(), self.max_age_days)
            if stale is not None:
                self.ledger.record_skipped(notice["notice_id"], stale.reason, stale.detail)
                metrics.NOTICES_SKIPPED.labels(notice["kind"], stale.reason).inc()
                return Outcome.SKIPPED
            return self._deliver(record, notice, now)
        except LedgerUnavailableError as exc:
            raise RetryLaterError(str(exc)) from exc
        except LedgerRejectedError as exc:
            reason = f"invalid notice: the delivery ledger refused it: {exc}"
            self.dead_letters.send(record, mask_recipient(reason, notice))
            return Outcome.DEAD_LETTERED

    def _deliver(self, record: Record, notice: Mapping[str, Any], now: datetime) -> Outcome:
        notice_id = notice["notice_id"]
        try:
            recipient = recipient_of(notice)
            message = build_message(notice, self.renderer.render(notice, now.date()), self.mail_from)
        except (MissingRecipientError, RenderError) as exc:
            reason = str(exc) if isinstance(exc, MissingRecipientError) else f"cannot render notice: {exc}"
            return self._dead_letter(record, notice, reason)
        if self.daily_cap and not self.ledger.claim_recipient(notice_id, recipient.addr_spec, self.daily_cap):
            return self._skip_over_cap(notice, recipient.addr_spec)
        try:
            self.transport.send(notice_id, message)
        except DeferredDeliveryError as exc:
            given_up = self.parking.defer(record, notice_id, mask_recipient(str(exc), notice), now)
            return self._dead_letter(record, notice, given_up) if given_up is not None else Outcome.DEFERRED
        except DeliveryUnknownError as exc:
            self._unconfirmed[notice_id] = unconfirmed_reason(exc)
            return self._dead_letter(record, notice, self._unconfirmed[notice_id])
        except TransientDeliveryError as exc:
            error = mask_recipient(str(exc), notice)
            self.ledger.record_failure(notice_id, error)
            raise RetryLaterError(error) from exc
        except PermanentDeliveryError as exc:
            return self._dead_letter(record, notice, f"delivery refused: {exc}")
        delivery = (self.transport.name, str(message["Message-ID"]), recipient.addr_spec)
        self._sent_unrecorded[notice_id] = delivery
        self.ledger.record_sent(notice_id, *delivery)
        del self._sent_unrecorded[notice_id]
        metrics.NOTICES_DELIVERED.labels(notice["kind"], self.transport.name).inc()
        return Outcome.SENT

    def _skip_over_cap(self, notice: Mapping[str, Any], address: str) -> Outcome:
        detail = (
            f"{mask_address(address)} already has {self.daily_cap} notices today (UTC), "
            "the most LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT allows"
        )
        self.ledger.record_skipped(notice["notice_id"], RECIPIENT_CAP, detail)
        metrics.NOTICES_SKIPPED.labels(notice["kind"], RECIPIENT_CAP).inc()
        log.warning("notice %s not sent: %s", notice["notice_id"], detail)
        return Outcome.CAPPED

    def _dead_letter(self, record: Record, notice: Mapping[str, Any], reason: str) -> Outcome:
        masked = mask_recipient(reason, notice)
        self.dead_letters.send(record, masked)
        self._letters.remember(record, masked)  # should the ledger fail now, its retry publishes no second letter
        return self._record_letter(record, notice, masked)

    def _record_letter(self, record: Record, notice: Mapping[str, Any], reason: str) -> Outcome:
        self.ledger.record_dead_letter(notice["notice_id"], reason)
        self._letters.forget(record)
        self._unconfirmed.pop(notice["notice_id"], None)
        return Outcome.DEAD_LETTERED
