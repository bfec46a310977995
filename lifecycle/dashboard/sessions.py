"""Signed session cookies that expire and can be revoked; the token itself never sits in the browser."""

from __future__ import annotations

import hashlib
import hmac
import secrets


class Sessions:
    """Issues `<expiry>.<nonce>.<signature>` values under a key of this process; a restart signs everyone out."""

    def __init__(self, lifetime_s: float, key: bytes | None = None) -> None:
        self.lifetime_s = lifetime_s
        self._key = key or secrets.token_bytes(32)
        self._revoked: dict[str, float] = {}  # signed out before their expiry: value -> expiry

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float) -> str:
        """A new session value, valid for `lifetime_s` from `now`."""
        body = f"{int(now + self.lifetime_s)}.{secrets.token_hex(16)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, value: str, now: float) -> bool:
        """True for a value this process signed, not expired and not revoked."""
        body, _, signature = value.rpartition(".")
        expiry = body.partition(".")[0]
        if not (body and expiry.isdigit() and hmac.compare_digest(signature.encode(), self._sign(body).encode())):
            return False
        return now < int(expiry) and value not in self._revoked

    def revoke(self, value: str, now: float) -> None:
        """Sign a session out; revocations are kept until the session would have expired anyway."""
        self._revoked = {kept: until for kept, until in self._revoked.items() if until > now}
        if self.valid(value, now):
            self._revoked[value] = float(value.partition(".")[0])
