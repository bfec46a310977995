"""What the notice handler needs from a delivery ledger: the `Ledger` port, where a notice stands, its errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

SENT = "sent"
DEAD_LETTERED = "dead_lettered"
SKIPPED = "skipped"
# Sent and skipped (stale, R17) notices are done: a dead-lettered one that comes again (`lifecycle redrive`
# after the cause is fixed, or a redelivery) is tried again, and is sent once it can be.
FINAL_STATUSES = frozenset({SENT, SKIPPED})
# The skip_reason of a notice over its recipient's daily cap (the stale ones' reasons are in freshness.py).
RECIPIENT_CAP = "recipient_cap"


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


# `begin` claims the notice for this notifier until a lease longer than its longest send runs out, so two
# notifiers (one still sending when a rebalance hands its partition to the other) never both send it.
class Ledger(Protocol):
    """What the handler needs from a delivery ledger."""

    def begin(self, notice: Mapping[str, Any]) -> LedgerEntry:
        """Claim the notice (unless done or another notifier's claim runs) and return where its delivery stands."""
        ...

    # Each record_* below releases this notifier's claim on the notice.
    def record_sent(self, notice_id: str, transport: str, message_id: str, recipient: str) -> None: ...

    def record_failure(self, notice_id: str, error: str) -> None: ...

    def record_dead_letter(self, notice_id: str, reason: str) -> None: ...

    def record_skipped(self, notice_id: str, reason: str, detail: str) -> None: ...

    def claim_recipient(self, notice_id: str, recipient: str, daily_cap: int) -> bool: ...
