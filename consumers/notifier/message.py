"""Build the email for one rendered notice: multipart/alternative text and HTML, with a stable Message-ID."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from consumers.notifier.render import RenderedNotice, RenderError, one_line
from lifecycle.personal import mask_personal


class MissingRecipientError(ValueError):
    """A notice with no address to send it to."""


def recipient_of(notice: Mapping[str, Any]) -> Address:
    """The notice's addressee; raise MissingRecipientError when it has no email address."""
    data = notice.get("data")
    recipient = data.get("recipient") if isinstance(data, Mapping) else None
    email = recipient.get("email") if isinstance(recipient, Mapping) else None
    if not isinstance(email, str) or not email.strip():
        raise MissingRecipientError("no recipient address")
    name = recipient.get("name") if isinstance(recipient, Mapping) else None
    display_name = one_line(name) if isinstance(name, str) else ""
    try:
        return Address(display_name=display_name, addr_spec=email.strip())
    except (ValueError, IndexError) as exc:
        raise RenderError(f"recipient.email: {email!r} is not an email address ({exc})") from exc


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


def build_message(notice: Mapping[str, Any], rendered: RenderedNotice, mail_from: str) -> EmailMessage:
    """The email for `notice`: From, To, Subject, Date, Message-ID and a text part with an HTML alternative."""
    message = EmailMessage()
    try:
        message["From"] = mail_from
        message["To"] = recipient_of(notice)
        message["Subject"] = rendered.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = message_id(str(notice["notice_id"]), mail_from)
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
    except MissingRecipientError:
        raise
    except (ValueError, TypeError) as exc:
        raise RenderError(f"cannot build the email: {exc}") from exc
    return message
