"""A real SMTP server (aiosmtpd) on a free local port that keeps what it receives and can refuse on demand."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from ports import free_port


@dataclass
class SmtpSink:
    """aiosmtpd handler: replies queued in `data_replies` answer the next DATA commands, then 250.

    A recipient in `deferred_recipients` has its message's DATA answered by the next of its queued replies (a 4xx
    about that message alone: a full mailbox, greylisting), then 250; `deferrals` counts them.
    """

    data_replies: list[str] = field(default_factory=list)
    refused_recipients: set[str] = field(default_factory=set)
    deferred_recipients: dict[str, list[str]] = field(default_factory=dict)
    deferrals: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)  # aiosmtpd's Envelope of each message kept
    data_attempts: int = 0
    received: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:  # noqa: N802
        if address in self.refused_recipients:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.data_attempts += 1
        for recipient in envelope.rcpt_tos:
            if self.deferred_recipients.get(recipient):
                self.deferrals += 1
                return self.deferred_recipients[recipient].pop(0)
        if self.data_replies:
            return self.data_replies.pop(0)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.received:
            self.envelopes.append(envelope)
            self.messages.append(message)
            self.received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        """Block until `count` messages arrived (or fail after `timeout` seconds)."""
        with self.received:
            arrived = self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        assert arrived, f"expected {count} email(s) within {timeout}s, got {len(self.messages)}"
        return list(self.messages)


@contextmanager
def running_smtp_sink(port: int = 0, **server_options: Any) -> Iterator[tuple[SmtpSink, int]]:
    """Start an SMTP server on 127.0.0.1:<port, or a free one> with aiosmtpd options; yield handler and port."""
    sink = SmtpSink()
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **server_options)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
