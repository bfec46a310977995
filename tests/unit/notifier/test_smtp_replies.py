"""SMTP refusals: one message's are permanent (dead letter); the server's setup's pause the notifier instead."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from consumers.notifier.delivery import SmtpTransport
from consumers.notifier.delivery_errors import DeferredDeliveryError, PermanentDeliveryError, TransientDeliveryError
from lifecycle.settings import Settings

SETTINGS = Settings.from_env({}).replace(smtp_host="mail.example.com", smtp_port=25)


class RefusingClient:
    """An open SMTP session whose next send_message raises `error`."""

    def __init__(self, error: Exception, went_ahead: bool = True) -> None:
        self.error = error
        self.resets = 0
        self.went_ahead = went_ahead  # a DataError after the go-ahead is a reply to the message itself
        self.awaiting_verdict = False

    def send_message(self, message: EmailMessage) -> dict[str, Any]:
        raise self.error

    def rset(self) -> None:
        self.resets += 1


def _send(error: Exception, went_ahead: bool = True) -> None:
    transport = SmtpTransport(SETTINGS)
    transport._client = RefusingClient(error, went_ahead)  # type: ignore[assignment]
    message = EmailMessage()
    message["To"] = "pat@example.com"
    transport.send("n1", message)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "support@example.com"),
        smtplib.SMTPSenderRefused(550, b"5.7.1 Sender support@example.com not allowed", "support@example.com"),
        smtplib.SMTPSenderRefused(553, b"5.1.8 Domain of sender address does not exist", "support@example.com"),
        smtplib.SMTPHeloError(501, b"5.5.2 Invalid HELO name"),
        smtplib.SMTPDataError(530, b"5.7.0 Authentication required"),
        smtplib.SMTPRecipientsRefused({"pat@example.com": (530, b"5.7.0 Authentication required")}),
        # A relay that serves only clients it knows refuses every recipient alike (Postfix, Exim).
        smtplib.SMTPRecipientsRefused({"pat@example.com": (554, b"5.7.1 <pat@example.com>: Relay access denied")}),
        smtplib.SMTPRecipientsRefused({"pat@example.com": (550, b"5.7.1 Unable to relay")}),
        smtplib.SMTPRecipientsRefused({"pat@example.com": (550, b"5.7.1 Relaying denied")}),
    ],
)
def test_a_permanent_refusal_of_the_server_setup_pauses_with_one_line_naming_the_settings(error: Exception) -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        _send(error)

    line = str(caught.value)
    assert "\n" not in line
    assert "LIFECYCLE_MAIL_FROM" in line
    assert "LIFECYCLE_SMTP_USERNAME" in line
    assert "pat@example.com" not in line
    assert "support@example.com" not in line


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (smtplib.SMTPRecipientsRefused({"pat@example.com": (550, b"5.1.1 No such user")}), "recipient refused"),
        (smtplib.SMTPDataError(554, b"5.6.0 Message content rejected"), "SMTP 554"),
        (smtplib.SMTPSenderRefused(552, b"5.3.4 Message size exceeds limit", "support@example.com"), "SMTP 552"),
    ],
)
def test_a_permanent_refusal_of_this_message_stays_permanent(error: Exception, reason: str) -> None:
    with pytest.raises(PermanentDeliveryError, match=reason):
        _send(error)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPSenderRefused(451, b"4.3.0 Try again later", "support@example.com"),
        smtplib.SMTPRecipientsRefused({"pat@example.com": (450, b"4.2.1 Mailbox busy")}),
    ],
)
def test_a_temporary_refusal_stays_temporary(error: Exception) -> None:
    with pytest.raises(TransientDeliveryError):
        _send(error)


@pytest.mark.parametrize(
    ("error", "deferred"),
    [
        (smtplib.SMTPRecipientsRefused({"pat@example.com": (452, b"4.2.2 Mailbox full")}), True),
        (smtplib.SMTPDataError(451, b"4.7.1 Greylisted, try again later"), True),
        (smtplib.SMTPRecipientsRefused({"pat@example.com": (421, b"4.3.2 Service shutting down")}), False),
        (smtplib.SMTPDataError(421, b"4.3.2 Service shutting down"), False),
        (smtplib.SMTPSenderRefused(451, b"4.3.0 Try again later", "support@example.com"), False),
        (smtplib.SMTPRecipientsRefused({"pat@example.com": (450, b"4.7.1 Relay access denied")}), False),
        # RFC 3463 subjects 3 and 4: the mail system or the network, whatever the message.
        (smtplib.SMTPRecipientsRefused({"pat@example.com": (452, b"4.3.1 Insufficient system storage")}), False),
        (smtplib.SMTPRecipientsRefused({"pat@example.com": (451, b"4.4.5 Mail system congestion")}), False),
        # Routing to one recipient's domain is about that message: it is set aside after its tries.
        (
            smtplib.SMTPRecipientsRefused({"pat@example.com": (451, b"4.4.4 <pat@nodns.example>: Unable to route")}),
            True,
        ),
        (smtplib.SMTPDataError(451, b"4.3.0 Queue file write error"), False),
    ],
)
def test_a_4xx_for_this_message_alone_is_a_deferral_and_one_about_the_server_is_not(
    error: Exception, deferred: bool
) -> None:
    with pytest.raises(TransientDeliveryError) as raised:
        _send(error)

    assert isinstance(raised.value, DeferredDeliveryError) is deferred


def test_a_4xx_to_the_data_command_itself_is_the_server_s() -> None:
    with pytest.raises(TransientDeliveryError) as raised:
        _send(smtplib.SMTPDataError(451, b"Try again later"), went_ahead=False)
    assert not isinstance(raised.value, DeferredDeliveryError)
