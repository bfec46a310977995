"""SMTP over STARTTLS and implicit TLS against a real aiosmtpd server with certificates made by the test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from notifier_helpers import business_notice
from ports import free_port
from smtp_sink import SmtpSink, running_smtp_sink
from tls_server import Logins, Pki

from consumers.notifier.delivery import SmtpTransport, transport_for
from consumers.notifier.delivery_errors import TransientDeliveryError
from consumers.notifier.message import build_message
from consumers.notifier.render import NoticeRenderer
from lifecycle.errors import UserError
from lifecycle.settings import Settings

MODES = ("starttls", "implicit")
USER, PASSWORD = "notices", "smtp-canary-5150"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


def _message() -> EmailMessage:
    notice = business_notice("support_started")
    return build_message(notice, NoticeRenderer().render(notice), "support@example.com")


def _server(mode: str, pki: Pki, *names: str, **options: Any) -> AbstractContextManager[tuple[SmtpSink, int]]:
    """An SMTP server whose certificate names `names`: STARTTLS, or TLS from the first byte (SMTPS)."""
    context = pki.server_context(*names)
    if mode == "implicit":
        # The whole session is encrypted; aiosmtpd only counts STARTTLS as TLS for AUTH, so allow it here.
        return running_smtp_sink(ssl_context=context, auth_require_tls=False, **options)
    return running_smtp_sink(tls_context=context, **options)


def _settings(port: int, **changes: Any) -> Settings:
    base = Settings.from_env({"LIFECYCLE_SMTP_HOST": "localhost", "LIFECYCLE_SMTP_PORT": str(port)})
    return base.replace(**changes)


@pytest.fixture
def transports() -> Iterator[list[SmtpTransport]]:
    """Transports made by a test, closed after it."""
    made: list[SmtpTransport] = []
    yield made
    for transport in made:
        transport.close()


def _transport(made: list[SmtpTransport], settings: Settings) -> SmtpTransport:
    transport = SmtpTransport(settings, timeout=10)
    made.append(transport)
    return transport


@pytest.mark.parametrize("mode", MODES)
def test_a_server_with_a_trusted_certificate_gets_the_login_and_the_mail(
    pki: Pki, transports: list[SmtpTransport], mode: str
) -> None:
    logins = Logins(USER, PASSWORD)
    with _server(mode, pki, "localhost", authenticator=logins) as (sink, port):
        settings = _settings(port, smtp_tls=mode, smtp_cafile=pki.ca_file, smtp_username=USER, smtp_password=PASSWORD)
        _transport(transports, settings).send("n", _message())

        assert len(sink.wait_for(1)) == 1
    assert logins.attempts == [(USER, PASSWORD)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("trusted", ["another CA", "the system's CAs"])
def test_a_certificate_from_an_untrusted_ca_is_refused_before_the_login(
    pki: Pki, tmp_path: Path, transports: list[SmtpTransport], mode: str, trusted: str
) -> None:
    cafile = Pki(tmp_path).ca_file if trusted == "another CA" else ""
    logins = Logins(USER, PASSWORD)
    with _server(mode, pki, "localhost", authenticator=logins) as (sink, port):
        settings = _settings(port, smtp_tls=mode, smtp_cafile=cafile, smtp_username=USER, smtp_password=PASSWORD)
        with pytest.raises(TransientDeliveryError) as refused:
            _transport(transports, settings).send("n", _message())

        assert sink.messages == []
    message = str(refused.value)
    assert message.startswith(f"cannot open an SMTP session with localhost:{port}: its certificate is not trusted (")
    assert message.endswith("): check LIFECYCLE_SMTP_CAFILE")
    assert logins.attempts == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("host", "certified"), [("localhost", "mail.example.org"), ("127.0.0.1", "localhost")])
def test_a_certificate_for_another_host_is_refused(
    pki: Pki, transports: list[SmtpTransport], mode: str, host: str, certified: str
) -> None:
    logins = Logins(USER, PASSWORD)
    with _server(mode, pki, certified, authenticator=logins) as (sink, port):
        settings = _settings(
            port, smtp_host=host, smtp_tls=mode, smtp_cafile=pki.ca_file, smtp_username=USER, smtp_password=PASSWORD
        )
        with pytest.raises(TransientDeliveryError) as refused:
            _transport(transports, settings).send("n", _message())

        assert sink.messages == []
    assert str(refused.value) == (
        f"cannot open an SMTP session with {host}:{port}: its certificate is not valid for the host name {host!r}: "
        "check LIFECYCLE_SMTP_HOST (a name the certificate is issued to)"
    )
    assert logins.attempts == []


def test_a_login_without_tls_is_refused_unless_allowed(transports: list[SmtpTransport]) -> None:
    logins = Logins(USER, PASSWORD)
    with running_smtp_sink(authenticator=logins, auth_require_tls=False) as (sink, port):
        settings = _settings(port, smtp_tls="none", smtp_username=USER, smtp_password=PASSWORD)
        with pytest.raises(UserError, match="LIFECYCLE_SMTP_ALLOW_PLAINTEXT_AUTH=true"):
            transport_for(settings)
        assert logins.attempts == []

        allowed = settings.replace(smtp_allow_plaintext_auth=True)
        _transport(transports, allowed).send("n", _message())
        assert len(sink.wait_for(1)) == 1
    assert logins.attempts == [(USER, PASSWORD)]


def test_starttls_against_a_server_without_it_names_the_tls_setting(transports: list[SmtpTransport]) -> None:
    with running_smtp_sink() as (sink, port):
        with pytest.raises(TransientDeliveryError) as refused:
            _transport(transports, _settings(port, smtp_tls="starttls")).send("n", _message())
        assert sink.messages == []

    assert str(refused.value).endswith(
        "the server does not offer STARTTLS: check LIFECYCLE_SMTP_TLS and LIFECYCLE_SMTP_PORT"
    )


def test_a_refused_login_names_the_settings_and_never_the_password(pki: Pki, transports: list[SmtpTransport]) -> None:
    with _server("starttls", pki, "localhost", authenticator=Logins(USER, "another")) as (_, port):
        settings = _settings(
            port, smtp_tls="starttls", smtp_cafile=pki.ca_file, smtp_username=USER, smtp_password=PASSWORD
        )
        with pytest.raises(TransientDeliveryError) as refused:
            _transport(transports, settings).send("n", _message())

    message = str(refused.value)
    assert f"the server refused the login of {USER!r} (535 " in message
    assert message.endswith("check LIFECYCLE_SMTP_USERNAME and LIFECYCLE_SMTP_PASSWORD")
    assert PASSWORD not in message


def test_the_start_probe_stops_on_a_setting_and_waits_for_a_server(
    pki: Pki, transports: list[SmtpTransport], caplog: pytest.LogCaptureFixture
) -> None:
    with _server("starttls", pki, "mail.example.org") as (_, port):
        wrong_name = _transport(transports, _settings(port, smtp_tls="starttls", smtp_cafile=pki.ca_file))
        with pytest.raises(UserError, match="check LIFECYCLE_SMTP_HOST"):
            wrong_name.probe()

    absent = _transport(transports, _settings(free_port(), smtp_tls="starttls", smtp_cafile=pki.ca_file))
    with caplog.at_level(logging.WARNING):
        absent.probe()  # a server that is down may come back: no reason to stop
    assert "cannot open an SMTP session" in caplog.text
    assert "retried with each notice" in caplog.text
