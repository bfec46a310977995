"""SMTP replies and outages, classified against a real SMTP server; the ledger against real PostgreSQL."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from notifier_helpers import business_notice
from ports import free_port
from smtp_sink import SmtpSink, running_smtp_sink

from consumers.notifier.delivery import SmtpTransport
from consumers.notifier.delivery_errors import PermanentDeliveryError, TransientDeliveryError
from consumers.notifier.ledger import PostgresLedger
from consumers.notifier.ledger_port import LedgerRejectedError, LedgerUnavailableError
from consumers.notifier.message import build_message
from consumers.notifier.render import NoticeRenderer
from lifecycle.settings import Settings


def _message(to: str = "it-admin@example.com") -> EmailMessage:
    notice = business_notice("support_started", recipient={"email": to})
    return build_message(notice, NoticeRenderer().render(notice), "support@example.com")


@pytest.fixture
def transport(smtp: tuple[SmtpSink, int], settings: Settings) -> Iterator[SmtpTransport]:
    smtp_transport = SmtpTransport(settings.replace(smtp_host="127.0.0.1", smtp_port=smtp[1]), timeout=10)
    yield smtp_transport
    smtp_transport.close()


def test_messages_share_one_connection(smtp: tuple[SmtpSink, int], transport: SmtpTransport) -> None:
    for number in range(3):
        transport.send(f"n{number}", _message())

    assert len(smtp[0].wait_for(3)) == 3


def test_4xx_is_temporary_and_the_connection_stays_usable(smtp: tuple[SmtpSink, int], transport: SmtpTransport) -> None:
    smtp[0].data_replies.append("452 4.3.1 Insufficient system storage")

    with pytest.raises(TransientDeliveryError, match="452"):
        transport.send("n", _message())
    transport.send("n", _message())

    assert len(smtp[0].wait_for(1)) == 1


def test_5xx_is_permanent(smtp: tuple[SmtpSink, int], transport: SmtpTransport) -> None:
    smtp[0].data_replies.append("554 5.6.0 Message content rejected")
    smtp[0].refused_recipients.add("gone@example.com")

    with pytest.raises(PermanentDeliveryError, match="554"):
        transport.send("n", _message())
    with pytest.raises(PermanentDeliveryError, match=r"550 5\.1\.1"):
        transport.send("m", _message("gone@example.com"))


def test_an_address_the_server_cannot_take_is_permanent(settings: Settings) -> None:
    message = EmailMessage(policy=email.policy.SMTPUTF8)
    message["From"] = "support@example.com"
    message["To"] = "josé@example.com"
    message.set_content("hello")

    with running_smtp_sink(enable_SMTPUTF8=False) as (_, port):
        transport = SmtpTransport(settings.replace(smtp_host="127.0.0.1", smtp_port=port), timeout=10)
        with pytest.raises(PermanentDeliveryError, match="SMTPUTF8"):
            transport.send("n", message)
        transport.close()


def test_a_non_ascii_local_part_goes_through_a_server_that_takes_smtputf8(settings: Settings) -> None:
    with running_smtp_sink(enable_SMTPUTF8=True) as (sink, port):
        transport = SmtpTransport(settings.replace(smtp_host="127.0.0.1", smtp_port=port), timeout=10)
        transport.send("n", _message("josé@example.com"))
        transport.close()

        sink.wait_for(1)
    (envelope,) = sink.envelopes
    assert envelope.rcpt_tos == ["josé@example.com"]
    assert "SMTPUTF8" in envelope.mail_options
    assert "\r\nTo: josé@example.com\r\n".encode() in envelope.original_content


def test_a_non_ascii_local_part_is_refused_for_good_by_a_server_without_smtputf8(settings: Settings) -> None:
    with running_smtp_sink(enable_SMTPUTF8=False) as (sink, port):
        transport = SmtpTransport(settings.replace(smtp_host="127.0.0.1", smtp_port=port), timeout=10)
        with pytest.raises(PermanentDeliveryError, match="SMTPUTF8"):
            transport.send("n", _message("josé@example.com"))
        transport.send("m", _message())  # the session goes on for the next notice
        transport.close()

        assert len(sink.wait_for(1)) == 1


def test_a_refused_connection_is_temporary(settings: Settings) -> None:
    transport = SmtpTransport(settings.replace(smtp_host="127.0.0.1", smtp_port=free_port()), timeout=5)

    with pytest.raises(TransientDeliveryError, match="cannot open an SMTP session"):
        transport.send("n", _message())


def test_a_connection_dropped_while_idle_is_reopened(settings: Settings) -> None:
    port = free_port()
    transport = SmtpTransport(settings.replace(smtp_host="127.0.0.1", smtp_port=port), timeout=10)
    try:
        with running_smtp_sink(port) as (first, _):
            transport.send("a", _message())
            first.wait_for(1)
        with running_smtp_sink(port) as (restarted, _):  # the idle connection died with the first server
            transport.send("b", _message())
            assert len(restarted.wait_for(1)) == 1
    finally:
        transport.close()


def test_the_ledger_begins_once_and_keeps_the_final_status(migrated: Settings) -> None:
    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    notice = business_notice("support_started")
    try:
        assert ledger.begin(notice).status == "pending"
        ledger.record_failure(notice["notice_id"], "SMTP 451")
        ledger.record_sent(notice["notice_id"], "smtp", "<id@example.com>", "it-admin@example.com")
        ledger.record_dead_letter(notice["notice_id"], "too late")

        entry = ledger.begin(notice)
    finally:
        ledger.close()

    assert (entry.status, entry.attempts, entry.done) == ("sent", 2, True)


def test_the_ledger_refuses_a_nul_character(migrated: Settings) -> None:
    ledger = PostgresLedger(migrated.database_url.get_secret_value())
    try:
        with pytest.raises(LedgerRejectedError, match="NUL"):
            ledger.begin(business_notice("support_started", serial="SN\x00"))
        assert ledger.begin(business_notice("support_started")).status == "pending"
    finally:
        ledger.close()


def test_an_unreachable_database_is_temporary() -> None:
    ledger = PostgresLedger(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")

    with pytest.raises(LedgerUnavailableError, match="PostgreSQL"):
        ledger.begin(business_notice("support_started"))
