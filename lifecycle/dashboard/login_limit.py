"""Bounded token guessing: after a few wrong tokens a client is locked out, for longer each time."""

from __future__ import annotations

from dataclasses import dataclass

MAX_FAILURES = 5  # wrong tokens a client may send before its first lockout
FIRST_LOCKOUT_S = 60.0
LONGEST_LOCKOUT_S = 3600.0
FORGET_AFTER_S = 3600.0  # a client quiet this long after its last failure starts afresh
MAX_CLIENTS = 10_000  # the table never grows past this; the stalest client is forgotten first


@dataclass
class Attempts:
    """One client's wrong tokens since its last success, and when its current lockout ends."""

    failures: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class LoginLimiter:
    """Per client (its address): `retry_after` says whether it may try now; `failed` and `succeeded` record tries.

    Pure bookkeeping: the caller passes the clock, so tests need no waiting.
    """

    def __init__(self) -> None:
        self._clients: dict[str, Attempts] = {}

    def retry_after(self, client: str, now: float) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        attempts = self._clients.get(client)
        if attempts is None:
            return 0.0
        return max(0.0, attempts.locked_until - now)

    def failed(self, client: str, now: float) -> float:
        """Record a wrong token; return the lockout it starts (0 while under the limit)."""
        attempts = self._clients.get(client)
        if attempts is None or now - attempts.last_failure > FORGET_AFTER_S:
            attempts = Attempts()
            self._forget_stalest(now)
        self._clients[client] = attempts
        attempts.failures += 1
        attempts.last_failure = now
        if attempts.failures < MAX_FAILURES:
            return 0.0
        # 60 s at the fifth wrong token, then doubling with each further one, up to an hour.
        lockout: float = min(FIRST_LOCKOUT_S * 2.0 ** (attempts.failures - MAX_FAILURES), LONGEST_LOCKOUT_S)
        attempts.locked_until = now + lockout
        return lockout

    def succeeded(self, client: str) -> None:
        """A right token: the client starts afresh."""
        self._clients.pop(client, None)

    def _forget_stalest(self, now: float) -> None:
        if len(self._clients) < MAX_CLIENTS:
            return
        stale = [name for name, seen in self._clients.items() if now - seen.last_failure > FORGET_AFTER_S]
        for name in stale or [min(self._clients, key=lambda name: self._clients[name].last_failure)]:
            del self._clients[name]
