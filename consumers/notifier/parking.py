"""Park a notice the SMTP server deferred in the ledger, with its Kafka record, to be tried again later.

Its offset is then committed, so the notices behind it on its partition go on; the notifier's parked rounds
(`parked_round`) take it again once its retry time came, through the same handler path as a Kafka record. The
wait doubles from `first_delay` (a minute: greylisting asks for a few) up to an hour.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from consumers.notifier.deferrals import deferred_reason
from consumers.notifier.ledger_port import DEFERRED as PARKED
from consumers.notifier.ledger_port import Ledger, LedgerEntry, ParkedRecord
from consumers.notifier.unconfirmed import redriven
from consumers.record import Record

FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=1)
log = logging.getLogger(__name__)


def retry_delay(deferrals: int, first: timedelta = FIRST_DELAY) -> timedelta:
    """The wait after a notice's `deferrals`-th deferral: `first`, doubled each time, at most LONGEST_DELAY."""
    doubled: timedelta = first * (1 << min(max(deferrals - 1, 0), 30))
    return min(doubled, max(first, LONGEST_DELAY))


def parked_record(record: Record) -> ParkedRecord:
    """What the ledger keeps of a record to park: where it came from, its key, value, headers and timestamp."""
    if isinstance(record, ParkedRecord):
        return record
    headers = tuple((str(key), value) for key, value in getattr(record, "headers", None) or ())
    timestamp = getattr(record, "timestamp", None)
    return ParkedRecord(
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        headers,
        timestamp if isinstance(timestamp, int) else None,
    )


def parked_elsewhere(entry: LedgerEntry, record: Record) -> bool:
    """Whether `record` is a Kafka copy of a parked notice (read again after a restart): the park sends it, not this.

    A copy `lifecycle redrive` sent back (its header names the letter) is tried, as an operator asked.
    """
    return entry.status == PARKED and not isinstance(record, ParkedRecord) and not redriven(record)


class Parking:
    """Counts each deferral in the ledger, and parks the notice until its retry or says when to give it up."""

    def __init__(self, ledger: Ledger, attempts: int, minutes: float, first_delay: timedelta = FIRST_DELAY) -> None:
        self.ledger = ledger
        self.attempts = attempts
        self.patience = timedelta(minutes=minutes)
        self.first_delay = first_delay

    def defer(self, record: Record, notice_id: str, error: str, now: datetime) -> str | None:
        """Count the deferral; the dead-letter reason once it was `attempts` deferrals over `minutes`, else park it."""
        count, first = self.ledger.count_deferral(notice_id, now)
        waited = now - first
        if count >= self.attempts and waited >= self.patience:
            return deferred_reason(count, waited, error)
        retry_at = now + retry_delay(count, self.first_delay)
        self.ledger.park(notice_id, error, retry_at, parked_record(record))
        log.info("notice %s deferred (%d so far), parked until %s: %s", notice_id, count, retry_at.isoformat(), error)
        return None

    def wait_for(self, record: Record, notice_id: str, holder: str, now: datetime) -> bool:
        """Park a notice another notifier holds (maybe sending it now), no deferral counted; False when it no longer
        holds it. The rounds take it up once that one recorded how it went (then it is done) or its claim ran out."""
        parked = self.ledger.park_held(notice_id, holder, now + self.first_delay, parked_record(record))
        if parked:
            log.info("notice %s is being delivered by %s: parked until its claim is let go", notice_id, holder)
        return parked
