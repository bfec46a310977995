"""Notices the SMTP server deferred (a 4xx about that message): retried for a while, then dead-lettered.

Counted here, per process, not in the ledger's `attempts`, which counts every failed try, outages too. A
notice is given up only after both `attempts` tries and `minutes` since its first deferral (0 by default: the
batch's retries come within seconds, and every notice behind the deferred one waits while it is retried, so
minutes for greylisting cost every customer's mail that long).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

DEFERRED = "delivery deferred by the SMTP server"  # the dead-letter reason's leading words
KEPT = 10_000  # deferred notices remembered at most (one whose partition moved away is never retried here)


def deferred_reason(tries: int, waited: timedelta, error: str) -> str:
    """The dead-letter reason of a notice the server deferred on each of `tries` tries over `waited`."""
    minutes = int(waited.total_seconds() // 60)
    return (
        f"{DEFERRED}: deferred {tries} times over {minutes} min, last: {error}; "
        "redrive once the recipient's mailbox or domain accepts"
    )


class Deferrals:
    """When each deferred notice was first deferred here, and how often since."""

    def __init__(self, attempts: int, minutes: float) -> None:
        self.attempts = attempts
        self.patience = timedelta(minutes=minutes)
        self._seen: OrderedDict[str, tuple[datetime, int]] = OrderedDict()

    def give_up(self, notice_id: str, now: datetime) -> tuple[int, timedelta] | None:
        """Note one more deferral; (tries, time since the first) once it is time to dead-letter, else None."""
        first, tries = self._seen.pop(notice_id, (now, 0))
        tries += 1
        # Kept until `forget`: a dead letter that fails to go out is retried with the count it reached.
        self._seen[notice_id] = (first, tries)
        if len(self._seen) > KEPT:
            self._seen.popitem(last=False)
        if tries >= self.attempts and now - first >= self.patience:
            return tries, now - first
        return None

    def forget(self, notice_id: str) -> None:
        """The notice went (or was set aside): a later deferral of it starts afresh."""
        self._seen.pop(notice_id, None)
