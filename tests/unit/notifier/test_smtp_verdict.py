"""The server's verdict on a message: waited for long, and a message it may have taken is never sent again unasked."""

from __future__ import annotations

import time
from email.message import EmailMessage

import pytest
from scripted_smtp import CLOSE_AFTER, GARBLED, HANG_UP, SLOW, ScriptedSmtp, running

from consumers.notifier.delivery import SmtpTransport
from consumers.notifier.delivery_errors import DeliveryUnknownError
from lifecycle.settings import Settings

STEP_TIMEOUT = 0.5  # seconds: every step but the verdict, short so that a slow verdict outlasts it


def _transport(port: int) -> SmtpTransport:
    settings = Settings.from_env({}).replace(smtp_host="127.0.0.1", smtp_port=port)
    return SmtpTransport(settings, timeout=STEP_TIMEOUT)


def _message(serial: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "support@example.com", "pat@example.com", serial
    message.set_content(f"serial {serial}\n")
    return message


def _copies(server: ScriptedSmtp, serial: str) -> int:
    return sum(f"serial {serial}".encode() in message for message in server.messages)


def test_a_verdict_slower_than_the_step_timeout_is_waited_for_and_the_message_sent_once() -> None:
    server = ScriptedSmtp(script={1: SLOW}, delay=STEP_TIMEOUT * 3)
    with running(server) as port:
        transport = _transport(port)
        transport.send("warm", _message("SN-WARM"))  # the slow one goes over a reused connection
        transport.send("slow", _message("SN-SLOW"))
        transport.close()

    assert _copies(server, "SN-SLOW") == 1
    assert server.connections == 1


def test_a_connection_lost_after_the_message_went_out_is_delivery_unknown_and_not_resent() -> None:
    server = ScriptedSmtp(script={1: HANG_UP})
    with running(server) as port:
        transport = _transport(port)
        transport.send("warm", _message("SN-WARM"))
        with pytest.raises(DeliveryUnknownError, match="did not confirm delivery after DATA"):
            transport.send("lost", _message("SN-LOST"))
        transport.close()

    assert _copies(server, "SN-LOST") == 1


def test_a_connection_dropped_before_the_message_went_out_is_reopened_and_the_message_sent() -> None:
    server = ScriptedSmtp(script={0: CLOSE_AFTER})
    with running(server) as port:
        transport = _transport(port)
        transport.send("first", _message("SN-1"))
        transport.send("second", _message("SN-2"))  # MAIL FROM meets the closed connection: nothing went out
        transport.close()

    assert (_copies(server, "SN-1"), _copies(server, "SN-2")) == (1, 1)
    assert server.connections == 2


def test_a_verdict_that_is_no_smtp_reply_is_delivery_unknown_and_not_resent() -> None:
    server = ScriptedSmtp(script={0: GARBLED})
    with running(server) as port:
        transport = _transport(port)
        with pytest.raises(DeliveryUnknownError):
            transport.send("garbled", _message("SN-G"))
        transport.close()

    assert _copies(server, "SN-G") == 1


def test_each_wait_for_the_server_is_announced_so_a_slow_server_does_not_look_stuck() -> None:
    beats: list[float] = []
    server = ScriptedSmtp(script={0: SLOW}, delay=STEP_TIMEOUT * 3)
    with running(server) as port:
        settings = Settings.from_env({}).replace(smtp_host="127.0.0.1", smtp_port=port)
        transport = SmtpTransport(settings, timeout=STEP_TIMEOUT, on_wait=lambda: beats.append(time.monotonic()))
        transport.send("slow", _message("SN-SLOW"))
        returned = time.monotonic()
        during_send = list(beats)
        transport.close()

    # One beat before each wait: the greeting, EHLO, MAIL, RCPT, DATA's go-ahead, and the slow verdict, whose
    # beat came before its wait, so no wait runs longer than one step's bound after a beat.
    assert len(during_send) == 6
    assert returned - during_send[-1] >= server.delay
    assert _copies(server, "SN-SLOW") == 1
