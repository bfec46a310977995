"""Headers made from notice data read back as exactly the headers set: no RFC 2047 word smuggles one in."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fake_deadletters import FakeDeadLetters
from notifier_fakes import FakeClock, FakeLedger, FakeRecord
from notifier_samples import notice

from consumers.notifier.delivery import OutboxTransport
from consumers.notifier.handler import NoticeHandler, Outcome
from consumers.notifier.message import build_message, header_text
from consumers.notifier.render import NoticeRenderer

# "Pat\r\nReply-To: attacker@evil.example\r\n\r\nFake body" as one base64 encoded word: no control character.
ENCODED_CRLF = "=?utf-8?b?UGF0DQpSZXBseS1UbzogYXR0YWNrZXJAZXZpbC5leGFtcGxlDQoNCkZha2UgYm9keQ==?="
ENCODED_WORDS = [
    ENCODED_CRLF,
    "=?utf-8?q?Ann=0D=0ABcc:_evil@example.org?=",
    "Pat=?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5vcmc=?=Customer",  # in the middle of a word
    "Pat =?iso-8859-1?q?=0AX-Injected:_1?= Customer",
]
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]


def _read_back(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _built(document: dict[str, Any]) -> EmailMessage:
    return build_message(document, NoticeRenderer().render(document), "support@example.com")


@pytest.mark.parametrize("name", ENCODED_WORDS)
def test_an_encoded_word_in_the_recipient_name_adds_no_header(name: str) -> None:
    document = notice("support_started", recipient={"email": "pat@example.com", "name": name})

    parsed = _read_back(_built(document))

    assert list(parsed.keys()) == HEADERS
    ((address,),) = [parsed["To"].addresses]
    assert address.addr_spec == "pat@example.com"
    assert address.display_name == header_text(name)
    assert "\r" not in address.display_name
    assert "\n" not in address.display_name


@pytest.mark.parametrize("name", ENCODED_WORDS)
def test_an_encoded_word_in_the_product_name_adds_no_header(name: str) -> None:
    document = notice("support_started")
    document["data"]["product"]["name"] = name

    parsed = _read_back(_built(document))

    assert list(parsed.keys()) == HEADERS
    assert parsed["Reply-To"] is None
    assert parsed["Bcc"] is None
    assert str(parsed["Subject"]) == header_text(NoticeRenderer().render(document).subject)
    assert "\r" not in str(parsed["Subject"])
    assert "\n" not in str(parsed["Subject"])


def test_the_written_eml_of_an_encoded_word_name_has_no_reply_to(tmp_path: Path) -> None:
    document = notice("support_started", recipient={"email": "pat@example.com", "name": ENCODED_CRLF})
    handler = NoticeHandler(
        NoticeRenderer(),
        OutboxTransport(tmp_path),
        FakeLedger(),
        FakeDeadLetters(),
        "support@example.com",
        max_age_days=7,
        now=FakeClock(),
    )

    assert handler.handle(FakeRecord.of(document)) is Outcome.SENT

    (written,) = tmp_path.glob("*.eml")
    parsed = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert list(parsed.keys()) == HEADERS
    assert b"Reply-To" not in written.read_bytes()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=?utf-8?q?x?=", "= ?utf-8?q?x?="),
        ("a==??b", "a== ??b"),
        ("Pat\x00\x1b[31m Customer\x7f", "Pat [31m Customer"),
        ("Pat\u2028Customer\x85", "Pat Customer"),
        ("Zoë Ö'Brien", "Zoë Ö'Brien"),
    ],
)
def test_header_text_is_one_line_without_controls_or_encoded_words(value: str, shown: str) -> None:
    assert header_text(value) == shown
    assert "=?" not in header_text(value)
