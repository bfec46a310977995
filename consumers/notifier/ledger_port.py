"""What the notice handler needs from a delivery ledger: the `Ledger` port, where a notice stands, its errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

SENT = "sent"
DEAD_LETTERED = "dead_lettered"
SKIPPED = "skipped"
DEFERRED = "deferred"  # parked: the server deferred it, and a parked round tries it again from its retry time
# Sent and skipped (stale, R17) notices are done: a dead-lettered one that comes again (`lifecycle redrive`
# after the cause is fixed, or a redelivery) is tried again, and is sent once it can be.
FINAL_STATUSES = frozenset({SENT, SKIPPED})
# The skip_reason of a notice over its recipient's daily cap (the stale ones' reasons are in freshness.py).
RECIPIENT_CAP = "recipient_cap"


ERROR_CHARS = 2000  # of an error or reason the ledger keeps


def kept_text(text: str) -> str:
    """An error or reason as the ledger keeps it: cut to ERROR_CHARS, a NUL written out as `\\x00`."""
    # PostgreSQL's text takes no NUL, and an outcome refused for its text would leave a parked notice parked for good.
    return text.replace("\x00", "\\x00")[:ERROR_CHARS]


class LedgerUnavailableError(Exception):
    """PostgreSQL cannot be reached or refused the statement; try again later."""


class LedgerRejectedError(Exception):
    """PostgreSQL refused the notice's values (a NUL character, an out-of-range date): retrying cannot help."""


@dataclass(frozen=True)
class LedgerEntry:
    """Where delivery of one notice stands."""

    status: str
    attempts: int
    last_error: str | None = None  # the last failure or dead-letter reason recorded
    # The notifier whose claim on the notice still runs, when not this one: it may be sending it right now.
    claimed_by_other: str | None = None

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class ParkedRecord:
    """The Kafka record of a parked notice, as the ledger keeps it: enough to handle it again or dead-letter it."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]] = ()
    timestamp: int | None = None  # ms since the epoch, as Kafka stamped it


# `begin` claims the notice for this notifier until a lease longer than its longest send runs out, so two
# notifiers (one still sending when a rebalance hands its partition to the other) never both send it.
class Ledger(Protocol):
    """What the handler needs from a delivery ledger."""

    def begin(self, notice: Mapping[str, Any]) -> LedgerEntry:
        """Claim the notice (unless done or another notifier's claim runs) and return where its delivery stands."""
        ...

    # Each record_* below (and `park`) releases this notifier's claim on the notice; record_failure leaves a parked
    # notice parked (no Kafka record would retry it), the others take it out of the park.
    def record_sent(self, notice_id: str, transport: str, message_id: str, recipient: str) -> None: ...

    def record_failure(self, notice_id: str, error: str) -> None: ...

    def record_dead_letter(self, notice_id: str, reason: str) -> None: ...

    def record_skipped(self, notice_id: str, reason: str, detail: str) -> None: ...

    def release(self, notice_id: str) -> None: ...

    def claim_recipient(self, notice_id: str, recipient: str, daily_cap: int) -> bool: ...

    # Deferrals are counted and parked notices taken by the notifier's clock (`at`, `now`), one across notifiers.
    def count_deferral(self, notice_id: str, at: datetime) -> tuple[int, datetime]:
        """Count one more deferral of the notice: how many since it was last sent or dead-lettered, the first's time."""
        ...

    def park(self, notice_id: str, error: str, retry_at: datetime, record: ParkedRecord) -> None:
        """Park the notice (status deferred, an attempt counted) with its record, to be tried again from `retry_at`."""
        ...

    def park_held(self, notice_id: str, holder: str, retry_at: datetime, record: ParkedRecord) -> bool:
        """Park a notice `holder` holds, only while it does and has recorded no outcome; whether it was parked."""
        ...

    def take_due(self, now: datetime, limit: int) -> list[ParkedRecord]:
        """Claim at most `limit` parked notices due by `now` that no other notifier holds; their records."""
        ...
