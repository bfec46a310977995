"""What an SMTP server's refusal means: the message can never go, it alone is deferred, or the server takes no mail."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass

from lifecycle.personal import mask_address, mask_personal

# Replies about the server's setup rather than one message: "authentication required" at any step, and a
# refused greeting or sender (MAIL FROM) other than "message too large". Dead-lettering on them would set every
# notice aside until the setup is fixed, so they are temporary: the notifier pauses and retries, sending nothing.
AUTH_REQUIRED = 530
CLOSING = 421  # the server is shutting the connection down: about the server, never one message
TOO_LARGE = 552
_RELAY_DENIED = re.compile(r"\brelay(?:ing)?\b.*\b(?:denied|not permitted|refused)\b|unable to relay", re.IGNORECASE)
SETUP_ADVICE = "check LIFECYCLE_MAIL_FROM, LIFECYCLE_SMTP_USERNAME and LIFECYCLE_SMTP_PASSWORD; retried until accepted"
# RFC 3463 enhanced status codes: subject 3 (the mail system: storage, filters) and 4.4.5 (mail system congestion)
# are about the server, whatever message it was handling; the others (mailbox, routing to one domain, policy such
# as greylisting) about the message.
_ENHANCED = re.compile(r"^\s*4\.(\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True)
class Refusal:
    """How to meet one refusal: dead-letter the notice (permanent) or try it again later; one line saying why.

    `deferred`: a temporary refusal of this message alone (a 4xx to its recipient or its data): the notice is
    parked and tried again later, the others go on; other temporary refusals are about the server and hold every notice.
    """

    permanent: bool
    message: str
    deferred: bool = False


def reply_text(raw: bytes | str) -> str:
    """A server reply as text, with any address in it masked (servers often echo the recipient)."""
    return mask_personal(raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw))


def of_reply(code: int, raw: bytes | str) -> Refusal:
    """A refusal at any step: 5xx is permanent, except 530 (the server wants a login, whatever the message)."""
    text = reply_text(raw)
    if code == AUTH_REQUIRED:
        return Refusal(False, f"SMTP {code} {text}: the server asks for a login; {SETUP_ADVICE}")
    return Refusal(500 <= code < 600, f"SMTP {code} {text}".strip())


def about_the_message(code: int, raw: bytes | str) -> bool:
    """Whether a 4xx defers this message alone: not 421 or 530, nor an enhanced code about the mail system."""
    if not 400 <= code < 500 or code in (CLOSING, AUTH_REQUIRED):
        return False
    enhanced = _ENHANCED.match(reply_text(raw))
    return enhanced is None or not (enhanced.group(1).startswith("3.") or enhanced.group(1) == "4.5")


def of_data(code: int, raw: bytes | str, went_ahead: bool = True) -> Refusal:
    """The reply to the message (after the server's go-ahead), or to the DATA command itself (`went_ahead` False).

    A 4xx to the message defers it alone when it is about the message; one to the DATA command is the server's.
    """
    refusal = of_reply(code, raw)
    if went_ahead and about_the_message(code, raw):
        return Refusal(False, f"message deferred: {refusal.message}", deferred=True)
    return refusal


def of_setup_step(exc: smtplib.SMTPResponseException) -> Refusal:
    """A refused EHLO/HELO or MAIL FROM: a 5xx there is the server's setup, except a message too large."""
    code = exc.smtp_code
    if 500 <= code < 600 and code not in (TOO_LARGE, AUTH_REQUIRED):
        step = "the sender" if isinstance(exc, smtplib.SMTPSenderRefused) else "the greeting"
        return Refusal(False, f"SMTP server refused {step}: {code} {reply_text(exc.smtp_error)}; {SETUP_ADVICE}")
    return of_reply(code, exc.smtp_error)


def recipients_detail(recipients: Mapping[str, tuple[int, bytes | str]]) -> str:
    """Each refused recipient, masked, with the server's reply."""
    return "; ".join(f"{mask_address(rcpt)}: {code} {reply_text(text)}" for rcpt, (code, text) in recipients.items())


def of_recipients(recipients: Mapping[str, tuple[int, bytes | str]]) -> Refusal:
    """All recipients refused (RCPT): permanent when all are 5xx (bar login or relay refusals), else deferred or 421."""
    codes = [code for code, _ in recipients.values()]
    detail = recipients_detail(recipients)
    if AUTH_REQUIRED in codes:
        return Refusal(False, f"recipient refused until the server gets a login: {detail}; {SETUP_ADVICE}")
    if any(_RELAY_DENIED.search(reply_text(text)) for _, text in recipients.values()):
        # "Relay access denied": the server relays only for clients it knows, whoever the recipient is.
        return Refusal(False, f"the server does not relay for the notifier: {detail}; {SETUP_ADVICE}")
    if codes and all(500 <= code < 600 for code in codes):
        return Refusal(True, f"recipient refused: {detail}")
    if CLOSING in codes:
        return Refusal(False, f"the server is closing the connection: {detail}")
    if codes and all(about_the_message(code, text) for code, text in recipients.values()):
        return Refusal(False, f"recipient deferred: {detail}", deferred=True)
    return Refusal(False, f"the server cannot take mail now: {detail}")
