"""The written email keeps RFC 5322's lines of at most 998 octets, and one that cannot be written is never sent."""

from __future__ import annotations

import pytest
from notifier_samples import notice

from consumers.notifier.message import MAX_LINE_OCTETS, MAX_NAME_CHARS, build_message, check_written
from consumers.notifier.render import NoticeRenderer, RenderError


def test_a_long_recipient_name_without_spaces_is_cut_to_keep_every_line_short() -> None:
    document = notice("support_started", recipient={"email": "pat@example.com", "name": "B" * 3000})

    message = build_message(document, NoticeRenderer().render(document), "support@example.com")

    assert max(len(line) for line in message.as_bytes().splitlines()) <= MAX_LINE_OCTETS
    assert message["To"].addresses[0].display_name == "B" * MAX_NAME_CHARS
    assert message["To"].addresses[0].addr_spec == "pat@example.com"


def test_a_message_whose_written_form_has_an_over_long_line_is_refused_not_sent() -> None:
    document = notice("support_started")
    sender = "C" * 3000 + " <support@example.com>"  # a name no header folding can break

    with pytest.raises(RenderError, match=f"cannot build the email: a line of 3001 octets, over the {MAX_LINE_OCTETS}"):
        build_message(document, NoticeRenderer().render(document), sender)


def test_a_written_line_over_998_octets_is_refused() -> None:
    check_written(b"To: x\r\n" + b"A" * MAX_LINE_OCTETS + b"\r\n")

    with pytest.raises(RenderError, match=f"a line of {MAX_LINE_OCTETS + 1} octets"):
        check_written(b"To: x\r\n" + b"A" * (MAX_LINE_OCTETS + 1) + b"\r\n")
