"""Build the email for one rendered notice: multipart/alternative text and HTML, with a stable Message-ID."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from email import policy as email_policy
from email.errors import HeaderParseError, MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from consumers.notifier.render import RenderedNotice, RenderError
from lifecycle.personal import mask_personal


class MissingRecipientError(ValueError):
    """A notice with no address to send it to."""


# One mailbox written as local@domain and nothing else: no display name, angle brackets, comment, whitespace or
# second address. The local part is a dot-atom or a quoted string, the domain a dot-atom or a [literal]
# (RFC 5322); anything else never reaches the email package's parser. The pattern lets non-ASCII through (RFC
# 6532): a domain is sent in its IDNA form, which any server takes; a local part only as it is, through a server
# that takes SMTPUTF8 (RFC 6531), as smtplib asks for it (it refuses the message on a server that does not).
_ATOM = r"[^\s\x00-\x1f\x7f-\x9f()<>\[\]:;@\\,.\"]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_QUOTED = r'"(?:[^"\\\s\x00-\x1f\x7f-\x9f]|\\[^\s\x00-\x1f\x7f-\x9f]| )*"'
_LITERAL = r"\[[^\[\]\\\s\x00-\x1f\x7f-\x9f]*\]"
_MAILBOX = re.compile(rf"(?P<local>{_DOT_ATOM}|{_QUOTED})@(?P<domain>{_DOT_ATOM}|{_LITERAL})")
_ENCODED_WORD_OPENER = "=?"
MAX_ADDRESS_CHARS = 254  # RFC 5321's path limit, as the contract bounds a contact's email
MAX_NAME_CHARS = 200  # a display name in the To header, as contact names are bounded upstream
MAX_LINE_OCTETS = 998  # RFC 5322 §2.1.1: longest line of a message, CRLF aside


def header_text(value: str) -> str:
    """`value` fit for a header built from notice data: one line, no control character, no RFC 2047 encoded word.

    The email package decodes `=?charset?b?...?=` wherever it meets one, and on some Python versions writes
    the decoded text (CR and LF included) into the message as it is: a space after every `=` of `=?` leaves
    plain text that reads the same.
    """
    visible = "".join(" " if unicodedata.category(character) == "Cc" else character for character in value)
    return " ".join(visible.split()).replace(_ENCODED_WORD_OPENER, "= ?")


def mailbox(email: str) -> Address:
    """`email` as an Address; raise RenderError unless it is exactly one mailbox, local@domain."""
    if len(email) > MAX_ADDRESS_CHARS:  # before the ledger, whose recipient index takes no longer one
        raise RenderError(f"recipient.email: {len(email)} characters, over the {MAX_ADDRESS_CHARS} of an address")
    match = _MAILBOX.fullmatch(email)
    if match is None:
        raise RenderError(f"recipient.email: {email!r} is not one plain address (local@domain)")
    local, domain = match["local"], match["domain"]
    # The parser refuses a non-ASCII local part outright: it is checked on its ASCII stand-in (each such letter an
    # `x`), which reads back the same exactly when the address does, and the mailbox is then built from its parts.
    stand_in = local if local.isascii() else "".join(c if c.isascii() else "x" for c in local)
    try:
        address = Address(addr_spec=f"{stand_in}@{domain}")
    # The parser's own refusals; AttributeError is how Python 3.11 fails on some malformed domain literals.
    except (ValueError, IndexError, HeaderParseError, AttributeError) as exc:
        raise RenderError(f"recipient.email: {email!r} is not an email address ({exc})") from exc
    if (address.username, address.domain) != (_unquoted(stand_in), domain):  # an encoded word decoded, say
        raise RenderError(f"recipient.email: {email!r} does not read back as the same address")
    address = Address(username=_unquoted(local), domain=domain)
    if domain.isascii():
        return address
    try:  # bücher.example as xn--bcher-kva.example: no SMTPUTF8 needed, and no encoded word in the To header
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise RenderError(f"recipient.email: the domain of {email!r} has no IDNA form ({exc})") from exc
    return Address(username=address.username, domain=ascii_domain)


def _unquoted(local: str) -> str:
    """A local part as the mailbox's user name: a quoted string without its quotes and escapes."""
    return re.sub(r"\\(.)", r"\1", local[1:-1]) if local.startswith('"') else local


def recipient_of(notice: Mapping[str, Any]) -> Address:
    """The notice's addressee; MissingRecipientError without an address, RenderError unless it is one mailbox."""
    data = notice.get("data")
    recipient = data.get("recipient") if isinstance(data, Mapping) else None
    email = recipient.get("email") if isinstance(recipient, Mapping) else None
    if not isinstance(email, str) or not email.strip():
        raise MissingRecipientError("no recipient address")
    name = recipient.get("name") if isinstance(recipient, Mapping) else None
    address = mailbox(email.strip())
    display_name = header_text(name)[:MAX_NAME_CHARS].rstrip() if isinstance(name, str) else ""
    return Address(display_name=display_name, username=address.username, domain=address.domain)


def mask_recipient(text: str, notice: Mapping[str, Any]) -> str:
    """`text` with the notice's recipient address and name masked, and any other address in it too."""
    data = notice.get("data")
    recipient = data.get("recipient") if isinstance(data, Mapping) else None
    fields = recipient if isinstance(recipient, Mapping) else {}
    email, name = fields.get("email"), fields.get("name")
    return mask_personal(text, [email] if isinstance(email, str) else [], [name] if isinstance(name, str) else [])


def message_id(notice_id: str, mail_from: str) -> str:
    """A Message-ID derived from the notice id alone, so every copy of one notice carries the same id."""
    digest = hashlib.sha256(notice_id.encode("utf-8")).hexdigest()[:40]
    domain = mail_from.rpartition("@")[2] or "lifecycle.invalid"
    return f"<notice.{digest}@{domain}>"


def check_written(written: bytes) -> None:
    """Raise RenderError when a line of the written message is longer than RFC 5322 allows."""
    longest = max((len(line.rstrip(b"\r")) for line in written.split(b"\n")), default=0)
    if longest > MAX_LINE_OCTETS:
        raise RenderError(f"cannot build the email: a line of {longest} octets, over the {MAX_LINE_OCTETS} allowed")


def build_message(notice: Mapping[str, Any], rendered: RenderedNotice, mail_from: str) -> EmailMessage:
    """The email for `notice`: From, To, Subject, Date, Message-ID and a text part with an HTML alternative."""
    recipient = recipient_of(notice)
    # A non-ASCII mailbox is written as UTF-8 (RFC 6532), headers and all; any other email keeps plain ASCII headers.
    message = EmailMessage(policy=email_policy.default if recipient.username.isascii() else email_policy.SMTPUTF8)
    try:
        message["From"] = mail_from
        message["To"] = recipient
        message["Subject"] = header_text(rendered.subject)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id(str(notice["notice_id"]), mail_from)
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        check_written(message.as_bytes())  # written once here: one that cannot be written is refused, not sent
    except (MissingRecipientError, RenderError):
        raise
    except (ValueError, TypeError, MessageError) as exc:
        raise RenderError(f"cannot build the email: {exc}") from exc
    return message
