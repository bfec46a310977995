"""The notifier against the real broker, PostgreSQL and an SMTP server: delivered once, retried, dead-lettered."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from notifier_helpers import business_notice, moving_clock, wait_until
from smtp_sink import SmtpSink

from consumers.notifier.app import Notifier
from consumers.notifier.message import message_id
from lifecycle.settings import Settings

Produce = Callable[[dict[str, Any]], None]
StartNotifier = Callable[..., Notifier]
LedgerRows = Callable[[], dict[str, dict[str, Any]]]
ReadTopic = Callable[..., list[tuple[bytes | None, bytes | None]]]
PARKED_FOR = timedelta(seconds=1)  # a deferred notice's first wait in the park, a minute in production


def _text_and_html(message: Any) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_a_produced_notice_arrives_by_smtp_with_its_dates_and_guidance(
    smtp: tuple[SmtpSink, int],
    smtp_notifier: Settings,
    produce_notice: Produce,
    ledger_rows: LedgerRows,
) -> None:
    sink, _ = smtp
    notice = business_notice("expiry_reminder", lead_days=30)

    produce_notice(notice)

    (message,) = sink.wait_for(1)
    assert message["To"] == "Robin Admin <it-admin@example.com>"
    assert message["Subject"] == (
        "30 days left: your support for Acronis Backup Advanced for Windows Server 11.5"
        " ends on March 14, 2027 (last day)"
    )
    assert message["Message-ID"] == message_id(notice["notice_id"], smtp_notifier.mail_from)
    for body in _text_and_html(message):
        assert "March 14, 2027" in body
        assert "2027-03-14" in body
        assert "renew Acronis Advantage through Acronis Sales or an Acronis Partner" in body
        assert "http://acronis.com/en-us/support/advantage.html" in body
    # The SMTP server has the email before the notifier reads its reply and records the send.
    wait_until(lambda: ledger_rows()[notice["notice_id"]]["status"] == "sent", "notice recorded as sent")
    row = ledger_rows()[notice["notice_id"]]
    assert (row["status"], row["attempts"], row["transport"]) == ("sent", 1, "smtp")


def test_the_same_notice_produced_twice_gives_one_email(
    smtp: tuple[SmtpSink, int], smtp_notifier: Settings, produce_notice: Produce
) -> None:
    sink, _ = smtp
    notice = business_notice("support_started")
    # Same serial, so the same partition: the sentinel is handled after both copies.
    sentinel = business_notice("support_expired")

    produce_notice(notice)
    produce_notice(notice)
    produce_notice(sentinel)

    messages = sink.wait_for(2)
    assert [m["Message-ID"] for m in messages] == [
        message_id(notice["notice_id"], smtp_notifier.mail_from),
        message_id(sentinel["notice_id"], smtp_notifier.mail_from),
    ]
    assert sink.data_attempts == 2


def test_a_temporary_refusal_is_retried_until_accepted(
    smtp: tuple[SmtpSink, int],
    smtp_notifier: Settings,
    produce_notice: Produce,
    ledger_rows: LedgerRows,
    read_topic: ReadTopic,
) -> None:
    sink, _ = smtp
    sink.data_replies.extend(["451 4.3.0 Mailbox busy, try again later", "421 4.7.0 Too many connections"])
    notice = business_notice("renewal_confirmed", new_expires_on="2028-03-15", renewal_order_id="RO-1")

    produce_notice(notice)

    (message,) = sink.wait_for(1)
    assert "March 14, 2028" in message["Subject"]
    assert sink.data_attempts == 3
    # The SMTP server has the email before the notifier reads its reply and records the send.
    wait_until(lambda: ledger_rows()[notice["notice_id"]]["status"] == "sent", "notice recorded as sent")
    row = ledger_rows()[notice["notice_id"]]
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert read_topic(smtp_notifier, "deadletter") == []


def test_a_permanent_refusal_goes_to_the_dead_letter_topic(
    smtp: tuple[SmtpSink, int],
    smtp_notifier: Settings,
    produce_notice: Produce,
    ledger_rows: LedgerRows,
    read_topic: ReadTopic,
) -> None:
    sink, _ = smtp
    sink.refused_recipients.add("gone@example.com")
    refused = business_notice("support_started", recipient={"email": "gone@example.com"})
    unaddressed = business_notice("support_expired", recipient=None)
    del unaddressed["data"]["recipient"]
    sentinel = business_notice("expiry_reminder", key="7", lead_days=7)

    for notice in (refused, unaddressed, sentinel):
        produce_notice(notice)

    (message,) = sink.wait_for(1)
    assert message["Subject"].startswith("30 days left: ")  # on the notifier's day (DUE_AT), whatever the lead
    records = read_topic(smtp_notifier, "deadletter")
    reasons = {orjson.loads(value)["payload"]: orjson.loads(value)["reason"] for _, value in records if value}
    assert reasons[orjson.dumps(refused).decode()].startswith("delivery refused: recipient refused")
    assert reasons[orjson.dumps(unaddressed).decode()] == "no recipient address"
    dead = orjson.loads(records[0][1] or b"{}")
    assert dead["component"] == "notifier"
    assert dead["origin"]["topic"] == smtp_notifier.topic("notices")
    assert {key for key, _ in records} == {b"SN-B-1"}
    rows = ledger_rows()
    assert rows[refused["notice_id"]]["status"] == "dead_lettered"
    assert rows[unaddressed["notice_id"]]["status"] == "dead_lettered"


def test_a_deferred_notice_is_parked_the_next_is_sent_at_once_and_the_park_sends_it_later(
    smtp: tuple[SmtpSink, int],
    smtp_settings: Settings,
    start_notifier: StartNotifier,
    produce_notice: Produce,
    ledger_rows: LedgerRows,
    read_topic: ReadTopic,
) -> None:
    sink, _ = smtp
    sink.deferred_recipients["greylisted@example.com"] = ["450 4.7.1 Greylisted, please try again later"]
    deferred = business_notice("support_started", recipient={"email": "greylisted@example.com"})
    sentinel = business_notice("support_expired")  # same serial: behind it on the same partition
    start_notifier(smtp_settings, moving_clock(), defer_first_delay=PARKED_FOR, parked_every=0.2)

    for notice in (deferred, sentinel):
        produce_notice(notice)

    (first,) = sink.wait_for(1)
    assert first["Message-ID"] == message_id(sentinel["notice_id"], smtp_settings.mail_from)
    parked = wait_until(lambda: ledger_rows().get(deferred["notice_id"]), "the deferred notice in the ledger")
    assert parked["status"] in ("deferred", "sent")  # parked while the next went; sent since, if its time came
    messages = sink.wait_for(2)  # from the park, once its retry time came
    assert messages[1]["Message-ID"] == message_id(deferred["notice_id"], smtp_settings.mail_from)
    assert sink.deferrals == 1
    wait_until(lambda: ledger_rows()[deferred["notice_id"]]["status"] == "sent", "the parked notice recorded as sent")
    row = ledger_rows()[deferred["notice_id"]]
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert read_topic(smtp_settings, "deadletter") == []


def test_a_notice_the_server_keeps_deferring_is_dead_lettered_and_the_next_one_is_sent(
    smtp: tuple[SmtpSink, int],
    smtp_settings: Settings,
    start_notifier: StartNotifier,
    produce_notice: Produce,
    ledger_rows: LedgerRows,
    read_topic: ReadTopic,
) -> None:
    sink, _ = smtp
    tries = smtp_settings.notice_defer_attempts
    sink.deferred_recipients["full@example.com"] = ["452 4.2.2 Mailbox full"] * (tries + 1)
    deferred = business_notice("support_started", recipient={"email": "full@example.com"})
    sentinel = business_notice("support_expired")  # same serial: behind it on the same partition
    start_notifier(smtp_settings, moving_clock(), defer_first_delay=timedelta(milliseconds=50), parked_every=0.05)

    for notice in (deferred, sentinel):
        produce_notice(notice)

    (message,) = sink.wait_for(1)
    assert message["Message-ID"] == message_id(sentinel["notice_id"], smtp_settings.mail_from)
    wait_until(lambda: ledger_rows()[deferred["notice_id"]]["status"] == "dead_lettered", "the deferred one given up")
    assert sink.deferrals == tries
    row = ledger_rows()[deferred["notice_id"]]
    assert (row["status"], row["attempts"]) == ("dead_lettered", tries)
    ((_, value),) = read_topic(smtp_settings, "deadletter")
    letter = orjson.loads(value or b"{}")
    assert letter["reason"] == (
        f"delivery deferred by the SMTP server: deferred {tries} times over 0 min, last: message deferred: "
        "SMTP 452 4.2.2 Mailbox full; redrive once the recipient's mailbox or domain accepts"
    )
    assert letter["origin"]["topic"] == smtp_settings.topic("notices")  # the parked record's origin
    assert letter["payload"] == orjson.dumps(deferred).decode()
    assert row["last_error"] == letter["reason"]


def test_without_an_smtp_host_the_notice_is_written_to_the_outbox(
    migrated: Settings, start_notifier: StartNotifier, produce_notice: Produce, ledger_rows: LedgerRows
) -> None:
    settings = migrated.replace(smtp_host="")
    notice = business_notice(
        "upgrade_granted", new_serial="SN-B-2", to_product={"name": "Acronis Backup", "version": "12"}
    )
    start_notifier(settings)

    produce_notice(notice)

    row = wait_until(lambda: ledger_rows().get(notice["notice_id"]), "ledger row of the notice")
    wait_until(lambda: ledger_rows()[notice["notice_id"]]["status"] == "sent", "notice marked sent")
    (path,) = settings.outbox.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Your free upgrade to Acronis Backup 12 is ready"
    text, html = _text_and_html(message)
    assert "SN-B-2" in text
    assert "SN-B-2" in html
    assert row["notice_id"] == notice["notice_id"]
    assert ledger_rows()[notice["notice_id"]]["transport"] == "outbox"
