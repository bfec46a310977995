"""SMTP clients that wait long for the server's verdict on a message and know whether they were waiting for it."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

# A server may scan a message before it answers the end of DATA (RFC 5321 §4.5.3.2.6 suggests waiting up to 10
# minutes). The wait stays inside the notifier's liveness window (LIFECYCLE_HEALTH_LIVE_SECONDS, 60 s), so no
# supervisor kills it mid-wait and sends again blind; a verdict slower than this is "delivery unknown".
DATA_REPLY_TIMEOUT = 45.0
# Every other step's wait (connect, TLS, login, each command and its reply): SmtpTransport's default timeout.
STEP_TIMEOUT = 30.0
# The most STEP_TIMEOUT waits one send can take, a fresh session's: connecting, the greeting, EHLO, STARTTLS and
# its handshake, EHLO again, a login (up to three replies), MAIL, RCPT, DATA and writing the message.
SESSION_STEPS = 13
_GO_AHEAD = 354


class VerdictAwareSMTP(smtplib.SMTP):
    """smtplib.SMTP whose DATA step waits DATA_REPLY_TIMEOUT; `awaiting_verdict` while the sent message is unanswered.

    A connection that fails while `awaiting_verdict` is True may have delivered the message: only the server knows.
    Before that (MAIL FROM, RCPT TO, the DATA command or the message only part sent) nothing was delivered.
    """

    awaiting_verdict = False
    went_ahead = False  # the last DATA got the go-ahead (354): a refusal after it is about the message sent
    _in_data = False

    def __init__(self, *args: Any, on_wait: Callable[[], None] | None = None, **kwargs: Any) -> None:
        # Called before each wait for a reply (the greeting too, read while connecting): the caller's liveness beat.
        # Each wait is bounded (the timeout, or DATA_REPLY_TIMEOUT), so a beat per wait keeps a slow server from
        # looking like a stuck process, where one beat per message let four slow steps pass the liveness window.
        self._on_wait = on_wait
        super().__init__(*args, **kwargs)

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        """DATA, the message and the server's reply to it."""
        self.awaiting_verdict = self.went_ahead = False
        self._in_data = True
        step_timeout = self.sock.gettimeout() if self.sock is not None else None
        try:
            reply = super().data(msg)
            # Answered, whatever the answer; but smtplib reads a line that is no reply as code -1: no verdict.
            self.awaiting_verdict = self.went_ahead and reply[0] < 0
            return reply
        finally:
            self._in_data = False
            if self.sock is not None:
                self.sock.settimeout(step_timeout)

    def getreply(self) -> tuple[int, bytes]:
        """The next reply; within DATA, after the go-ahead, the next one is the verdict on the whole message."""
        if self._in_data and self.went_ahead:
            self.awaiting_verdict = True  # the message and its final dot went out: the server may have taken it
        if self._on_wait is not None:
            self._on_wait()
        code, reply = super().getreply()
        if self._in_data and code == _GO_AHEAD:
            self.went_ahead = True
            if self.sock is not None:
                self.sock.settimeout(DATA_REPLY_TIMEOUT)
        return code, reply


class VerdictAwareSMTPSSL(VerdictAwareSMTP, smtplib.SMTP_SSL):
    """VerdictAwareSMTP over implicit TLS (SMTPS)."""
