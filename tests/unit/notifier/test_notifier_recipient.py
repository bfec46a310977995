"""The recipient is one plain mailbox, local@domain, read back as written; anything else is a render error."""

from __future__ import annotations

import pytest
from notifier_samples import notice

from consumers.notifier.message import recipient_of
from consumers.notifier.render import RenderError


def _recipient(address: str, name: str = "Pat Customer") -> dict[str, object]:
    return notice("support_started", recipient={"email": address, "name": name})


@pytest.mark.parametrize(
    "address",
    [
        "<pat@example.com>",  # angle brackets
        "pat@example.com.",  # an empty last label
        "(pat@example.com",  # an open comment
        "pat@example.com (Pat)",  # a comment
        "pat@[",  # an open domain literal
        "Pat <pat@example.com>",  # a display name
        "pat@example.com,eve@example.org",  # two addresses
        "pat@=?utf-8?q?example.org?=",  # an encoded word the parser would decode
        "=?utf-8?q?pat?=@example.com",
        "pat..x@example.com",
        "pat@exam ple.com",
        "pat@@example.com",
        "p" * 250 + "@example.com",  # longer than an address may be: the ledger's index would refuse it for ever
    ],
)
def test_anything_but_one_plain_mailbox_is_a_render_error(address: str) -> None:
    with pytest.raises(RenderError, match=r"^recipient\.email: "):
        recipient_of(_recipient(address))


@pytest.mark.parametrize(
    ("address", "addr_spec"),
    [
        ("pat@example.com", "pat@example.com"),
        (" pat.customer+notices@mail.example.com ", "pat.customer+notices@mail.example.com"),
        ('"pat customer"@example.com', '"pat customer"@example.com'),
        ("pat@[192.0.2.1]", "pat@[192.0.2.1]"),
        ("pat@bücher.example", "pat@xn--bcher-kva.example"),  # in its IDNA form: no SMTPUTF8 needed
    ],
)
def test_a_plain_mailbox_is_the_recipient_as_written(address: str, addr_spec: str) -> None:
    recipient = recipient_of(_recipient(address))

    assert recipient.addr_spec == addr_spec
    assert recipient.display_name == "Pat Customer"
