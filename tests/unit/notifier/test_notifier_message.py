"""The email built for a notice, and the outbox writer."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from notifier_samples import notice

from consumers.notifier.delivery import OutboxTransport, outbox_file_name
from consumers.notifier.message import MissingRecipientError, build_message, message_id, recipient_of
from consumers.notifier.render import NoticeRenderer, RenderError


def _message(document: dict[str, object]) -> email.message.EmailMessage:
    return build_message(document, NoticeRenderer().render(document), "Acronis Support <support@example.com>")


def test_the_email_is_multipart_alternative_text_then_html() -> None:
    message = _message(notice("support_started"))

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"].startswith("Your support for Acronis Backup Advanced")
    assert message["From"] == "Acronis Support <support@example.com>"
    assert message["To"] == "Pat Customer <pat@example.com>"


def test_the_message_id_depends_on_the_notice_id_alone() -> None:
    first = _message(notice("support_started"))
    second = _message(notice("support_started"))

    assert first["Message-ID"] == second["Message-ID"] == message_id("support_started:SN-1:2026-03-15", "x@example.com")
    assert message_id("a", "x@example.com") != message_id("b", "x@example.com")
    assert message_id("a", "x@example.com").endswith("@example.com>")


@pytest.mark.parametrize("recipient", [None, {}, {"email": ""}, {"email": "  ", "name": "Pat"}, {"name": "Pat"}])
def test_a_notice_without_an_address_has_no_recipient(recipient: object) -> None:
    document = notice("support_started")
    if recipient is None:
        del document["data"]["recipient"]
    else:
        document["data"]["recipient"] = recipient

    with pytest.raises(MissingRecipientError, match="no recipient address"):
        recipient_of(document)


def test_a_recipient_name_with_line_breaks_stays_in_one_header() -> None:
    document = notice(
        "support_started", recipient={"email": "pat@example.com", "name": "Pat\r\nBcc: victim@example.com"}
    )

    message = _message(document)

    assert message["To"].addresses[0].addr_spec == "pat@example.com"
    assert message.get_all("Bcc") is None
    assert b"\r\nBcc:" not in message.as_bytes()


@pytest.mark.parametrize("address", ["pat@exa\nmple.com@@", "jos\u00e9..x@example.com", "jos\u00e9@@example.com"])
def test_a_malformed_address_is_a_render_error(address: str) -> None:
    document = notice("support_started", recipient={"email": address})

    with pytest.raises(RenderError):
        _message(document)


@pytest.mark.parametrize(
    ("address", "written"),
    [
        ("josé@example.com", "josé@example.com"),
        ('"josé müller"@example.com', '"josé müller"@example.com'),
        ("jürgen@bücher.example", "jürgen@xn--bcher-kva.example"),
    ],
)
def test_a_non_ascii_local_part_is_written_as_utf8(address: str, written: str) -> None:
    message = _message(notice("support_started", recipient={"email": address, "name": "José Müller"}))

    assert message.policy == email.policy.SMTPUTF8  # RFC 6532: sent only through a server that takes SMTPUTF8
    assert f"To: José Müller <{written}>".encode() in message.as_bytes()
    assert message["To"].addresses[0].addr_spec == written


def test_an_ascii_address_keeps_ascii_headers() -> None:
    message = _message(notice("support_started", recipient={"email": "pat@example.com", "name": "José Müller"}))

    assert message.policy == email.policy.default
    assert message.as_bytes().isascii()
    assert message["To"].addresses[0].display_name == "José Müller"


def test_the_outbox_holds_one_parseable_eml_per_notice(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path / "outbox")
    document = notice("expiry_reminder")
    message = _message(document)

    outbox.send(document["notice_id"], message)
    outbox.send(document["notice_id"], message)

    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [outbox_file_name(document["notice_id"])]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == message["Message-ID"]
    body = parsed.get_body(("plain",))
    assert body is not None
    assert "March 14, 2027" in body.get_content()


def test_outbox_file_names_are_safe_and_distinct() -> None:
    hostile = "../../etc/passwd"

    name = outbox_file_name(hostile)

    assert "/" not in name
    assert name.endswith(".eml")
    assert outbox_file_name("a:b") != outbox_file_name("a/b")
