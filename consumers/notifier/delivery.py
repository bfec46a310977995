"""Deliver an email: over SMTP, or as an .eml file in the outbox; failures are those of delivery_errors."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import smtplib
import tempfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from consumers.notifier import smtp_replies, smtp_security
from consumers.notifier.delivery_errors import (
    DeferredDeliveryError,
    DeliveryUnknownError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from consumers.notifier.smtp_client import STEP_TIMEOUT, VerdictAwareSMTP
from consumers.notifier.smtp_replies import Refusal, reply_text
from lifecycle.errors import UserError
from lifecycle.settings import Settings

log = logging.getLogger(__name__)


class Transport(Protocol):
    """Something that delivers one email for one notice."""

    name: str

    def send(self, notice_id: str, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def _error(refusal: Refusal) -> Exception:
    """The delivery error a refusal calls for."""
    if refusal.permanent:
        return PermanentDeliveryError(refusal.message)
    return DeferredDeliveryError(refusal.message) if refusal.deferred else TransientDeliveryError(refusal.message)


def _unconfirmed(exc: BaseException) -> DeliveryUnknownError:
    """The error for a connection lost while the server had the whole message and had not answered."""
    return DeliveryUnknownError(
        f"the SMTP server did not confirm delivery after DATA ({type(exc).__name__}: {reply_text(str(exc))})"
    )


class SmtpTransport:
    """One SMTP connection (TLS and login as the settings say), opened on first use and reopened after a failure.

    Raises UserError at construction for settings that would leak the password or cannot work (smtp_security).
    """

    name = "smtp"

    def __init__(
        self, settings: Settings, timeout: float = STEP_TIMEOUT, on_wait: Callable[[], None] | None = None
    ) -> None:
        # `timeout` bounds every step but the wait for the verdict on a message (smtp_client.DATA_REPLY_TIMEOUT);
        # `on_wait` is called before each wait for the server (a liveness beat).
        self._settings = settings
        self._timeout = timeout
        self._on_wait = on_wait
        self._mode = smtp_security.check(settings)
        self._context = smtp_security.tls_context(settings) if self._mode != smtp_security.NONE else None
        self._client: VerdictAwareSMTP | None = None

    def _session(self) -> tuple[VerdictAwareSMTP, bool]:
        """The open connection, or a new one (second item True); a failure to open one is temporary."""
        if self._client is not None:
            return self._client, False
        try:
            self._client = smtp_security.open_session(
                self._settings, self._mode, self._context, self._timeout, self._on_wait
            )
        except smtp_security.SessionError as exc:
            raise TransientDeliveryError(str(exc)) from exc
        return self._client, True

    def probe(self) -> None:
        """Open a session now: UserError when a setting is wrong (certificate, host name, login), else log and go on."""
        try:
            self._session()
        except TransientDeliveryError as exc:
            cause = exc.__cause__
            if isinstance(cause, smtp_security.SessionError) and cause.configuration:
                raise UserError(str(exc)) from None
            log.warning("%s; retried with each notice", exc)
            return
        log.info("SMTP %s:%d ready (TLS: %s)", self._settings.smtp_host, self._settings.smtp_port, self._mode)

    def send(self, notice_id: str, message: EmailMessage) -> None:
        """Send one message; raise a TransientDeliveryError, PermanentDeliveryError or DeliveryUnknownError."""
        client, fresh = self._session()
        try:
            refused = client.send_message(message)
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            self.close()
            if client.awaiting_verdict:  # never resent here: the server may have taken it
                raise _unconfirmed(exc) from None
            if fresh:
                raise TransientDeliveryError("SMTP server closed the connection") from None
            # The server dropped an idle connection before this message went out: try once more on a new one.
            self.send(notice_id, message)
            return
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            raise _error(smtp_replies.of_recipients(exc.recipients)) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPHeloError) as exc:
            self._reset()
            raise _error(smtp_replies.of_setup_step(exc)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            # For instance a non-ASCII address and a server without SMTPUTF8: this message can never go.
            self._reset()
            raise PermanentDeliveryError(f"SMTP server cannot take this message: {reply_text(str(exc))}") from exc
        except smtplib.SMTPDataError as exc:
            if client.awaiting_verdict:  # the reply to the whole message could not be read
                self.close()
                raise _unconfirmed(exc) from None
            self._reset()
            raise _error(smtp_replies.of_data(exc.smtp_code, exc.smtp_error, client.went_ahead)) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _error(smtp_replies.of_reply(exc.smtp_code, exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            if client.awaiting_verdict:
                raise _unconfirmed(exc) from None
            raise TransientDeliveryError(
                f"SMTP connection failed: {type(exc).__name__}: {reply_text(str(exc))}"
            ) from exc
        if refused:
            raise PermanentDeliveryError(f"recipient refused: {smtp_replies.recipients_detail(refused)}")

    def _reset(self) -> None:
        """Clear the transaction after a refused message, or drop a connection that cannot be reused."""
        if self._client is None:
            return
        try:
            self._client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        """Say QUIT and forget the connection."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            with contextlib.suppress(OSError):
                client.close()


def outbox_file_name(notice_id: str) -> str:
    """A safe, stable .eml file name for a notice: a readable part and a hash of the whole id."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", notice_id).strip("._")[:80] or "notice"
    digest = hashlib.sha256(notice_id.encode("utf-8")).hexdigest()[:16]
    return f"{readable}-{digest}.eml"


class OutboxTransport:
    """Writes each email atomically (temporary file, fsync, rename) into a folder; rewriting is harmless."""

    name = "outbox"

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def send(self, notice_id: str, message: EmailMessage) -> None:
        """Write the message as `<outbox>/<name from notice_id>.eml`."""
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            target = self.outbox / outbox_file_name(notice_id)
            descriptor, temporary = tempfile.mkstemp(dir=self.outbox, prefix=".incoming-", suffix=".tmp")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(message.as_bytes())
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            _fsync_directory(self.outbox)
        except OSError as exc:
            raise TransientDeliveryError(f"cannot write to the outbox {self.outbox}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release."""


def _fsync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def transport_for(settings: Settings, on_wait: Callable[[], None] | None = None) -> Transport:
    """SMTP when a host is configured (`on_wait` called before each wait for the server), else the outbox folder."""
    if settings.smtp_host:
        return SmtpTransport(settings, on_wait=on_wait)
    return OutboxTransport(settings.outbox)
