"""Notices the SMTP server deferred (a 4xx about that message): parked and tried again, then dead-lettered.

Counted in the ledger (`deferrals`, across notifiers and restarts), not in its `attempts`, which counts every failed
try, outages too. A notice is given up only after both `attempts` deferrals and `minutes` since its first (1440, a
day, by default: mail servers retry for days, and a reminder that went stale meanwhile is skipped at delivery time,
R17). Until then it is parked (see `parking`), so the notices behind it on its partition go on.
"""

from __future__ import annotations

from datetime import timedelta

DEFERRED = "delivery deferred by the SMTP server"  # the dead-letter reason's leading words


def deferred_reason(tries: int, waited: timedelta, error: str) -> str:
    """The dead-letter reason of a notice the server deferred on each of `tries` tries over `waited`."""
    minutes = int(waited.total_seconds() // 60)
    return (
        f"{DEFERRED}: deferred {tries} times over {minutes} min, last: {error}; "
        "redrive once the recipient's mailbox or domain accepts"
    )
