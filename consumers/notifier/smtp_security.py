"""SMTP transport security: the TLS mode, a verifying TLS context, the login rule, and one-line explanations.

`check(settings)` refuses at start what would leak the password (a login without TLS, unless
LIFECYCLE_SMTP_ALLOW_PLAINTEXT_AUTH says so) or contradict itself; `open_session` connects with the mode,
verifies the server's certificate and host name (`ssl.create_default_context`), then logs in; each failure
becomes a SessionError with one line naming the setting to check.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable

from consumers.notifier.smtp_client import VerdictAwareSMTP, VerdictAwareSMTPSSL
from lifecycle.errors import UserError
from lifecycle.redact import redact
from lifecycle.settings import Settings

NONE = "none"
STARTTLS = "starttls"
IMPLICIT = "implicit"
TLS_MODES = (NONE, STARTTLS, IMPLICIT)
# OpenSSL's verify codes for a certificate issued to another host name or IP address.
_NAME_MISMATCH_CODES = frozenset({62, 64})


class SessionError(Exception):
    """No SMTP session could be opened; `configuration` is True when retrying cannot help until a setting changes."""

    def __init__(self, message: str, configuration: bool) -> None:
        super().__init__(message)
        self.configuration = configuration


def tls_mode(settings: Settings) -> str:
    """LIFECYCLE_SMTP_TLS, or the older LIFECYCLE_SMTP_STARTTLS when it is empty; UserError when they disagree."""
    mode = settings.smtp_tls
    if not mode:
        return STARTTLS if settings.smtp_starttls else NONE
    if mode not in TLS_MODES:
        raise UserError(f"LIFECYCLE_SMTP_TLS is {mode!r}: use one of {', '.join(TLS_MODES)}")
    if settings.smtp_starttls and mode != STARTTLS:
        raise UserError(f"LIFECYCLE_SMTP_STARTTLS=true contradicts LIFECYCLE_SMTP_TLS={mode}: unset one of them")
    return mode


def check(settings: Settings) -> str:
    """The TLS mode; UserError for a login without TLS (unless allowed) or a CA file with TLS off."""
    mode = tls_mode(settings)
    if mode == NONE and settings.smtp_username and not settings.smtp_allow_plaintext_auth:
        raise UserError(
            "refusing to send the SMTP password over a connection without TLS: set LIFECYCLE_SMTP_TLS=starttls "
            "or implicit, or LIFECYCLE_SMTP_ALLOW_PLAINTEXT_AUTH=true to log in in clear text"
        )
    if mode == NONE and settings.smtp_cafile:
        raise UserError("LIFECYCLE_SMTP_CAFILE is set but LIFECYCLE_SMTP_TLS is none: set starttls or implicit")
    return mode


def tls_context(settings: Settings) -> ssl.SSLContext:
    """A client context that verifies the certificate chain (LIFECYCLE_SMTP_CAFILE, else the system's CAs) and name."""
    try:
        return ssl.create_default_context(cafile=settings.smtp_cafile or None)
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror or str(exc)
        raise UserError(f"cannot use LIFECYCLE_SMTP_CAFILE {settings.smtp_cafile}: {reason}") from None


def _explain(exc: BaseException, stage: str, settings: Settings, mode: str) -> SessionError:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    prefix = f"cannot open an SMTP session with {where}"
    configuration = True
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in _NAME_MISMATCH_CODES:
            detail = (
                f"its certificate is not valid for the host name {settings.smtp_host!r}: check LIFECYCLE_SMTP_HOST "
                "(a name the certificate is issued to)"
            )
        else:
            detail = f"its certificate is not trusted ({exc.verify_message}): check LIFECYCLE_SMTP_CAFILE"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        detail = (
            f"the server refused the login of {settings.smtp_username!r} ({exc.smtp_code} {reply}): "
            "check LIFECYCLE_SMTP_USERNAME and LIFECYCLE_SMTP_PASSWORD"
        )
    elif isinstance(exc, smtplib.SMTPNotSupportedError) and stage == "starttls":
        detail = "the server does not offer STARTTLS: check LIFECYCLE_SMTP_TLS and LIFECYCLE_SMTP_PORT"
    elif isinstance(exc, smtplib.SMTPNotSupportedError) and stage == "login":
        detail = "the server offers no login on this connection: check LIFECYCLE_SMTP_USERNAME and LIFECYCLE_SMTP_TLS"
    elif isinstance(exc, ssl.SSLError):
        configuration = False
        detail = f"no TLS session ({exc.reason or exc}): check LIFECYCLE_SMTP_TLS ({mode}) and LIFECYCLE_SMTP_PORT"
    else:
        configuration = False
        detail = f"{type(exc).__name__}: {exc}"
    return SessionError(redact(f"{prefix}: {detail}", (settings.smtp_password.get_secret_value(),)), configuration)


def open_session(
    settings: Settings,
    mode: str,
    context: ssl.SSLContext | None,
    timeout: float,
    on_wait: Callable[[], None] | None = None,
) -> VerdictAwareSMTP:
    """A connected (TLS as `mode` says) and logged-in client; SessionError with one line when that fails."""
    stage = "connect"
    client: VerdictAwareSMTP | None = None
    try:
        if mode == IMPLICIT:
            client = VerdictAwareSMTPSSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context, on_wait=on_wait
            )
        else:
            client = VerdictAwareSMTP(settings.smtp_host, settings.smtp_port, timeout=timeout, on_wait=on_wait)
        if mode == STARTTLS:
            stage = "starttls"
            client.starttls(context=context)
        if settings.smtp_username:
            stage = "login"
            client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except (smtplib.SMTPException, OSError) as exc:
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.close()
        raise _explain(exc, stage, settings, mode) from None
    return client
