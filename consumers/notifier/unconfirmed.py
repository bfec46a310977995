"""Notices the SMTP server may have taken without saying so: set aside, and sent again only when redriven."""

from __future__ import annotations

from consumers.notifier.ledger_port import DEAD_LETTERED, LedgerEntry
from consumers.record import Record
from lifecycle.redrive_audit import HEADER as REDRIVE_HEADER

UNCONFIRMED = "delivery unknown"  # the dead-letter reason's leading words
UNCONFIRMED_ADVICE = "it may have been delivered; redrive to send it again"


def unconfirmed_reason(error: BaseException) -> str:
    """The dead-letter reason of a message whose verdict never came."""
    return f"{UNCONFIRMED}: {error}; {UNCONFIRMED_ADVICE}"


def set_aside_unconfirmed(entry: LedgerEntry) -> bool:
    """Whether the ledger says the notice was set aside as "delivery unknown"."""
    return entry.status == DEAD_LETTERED and (entry.last_error or "").startswith(UNCONFIRMED)


def redriven(record: Record) -> bool:
    """Whether the record is an original sent back by `lifecycle redrive` (its header names the letter).

    The same record read again (a restart before its offset was committed) has no such header: it is not sent.
    """
    return any(key == REDRIVE_HEADER for key, _ in getattr(record, "headers", None) or ())
