"""SMTP settings that would leak the password, or contradict each other, are refused at start in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.notifier import smtp_security
from consumers.notifier.delivery import OutboxTransport, SmtpTransport, transport_for
from lifecycle.errors import UserError
from lifecycle.settings import Settings

BASE = Settings.from_env({}).replace(smtp_host="mail.example.com", smtp_port=587)


def _settings(**changes: object) -> Settings:
    return BASE.replace(**changes)


def test_the_settings_parse_the_tls_options() -> None:
    settings = Settings.from_env(
        {
            "LIFECYCLE_SMTP_TLS": " Implicit ",
            "LIFECYCLE_SMTP_CAFILE": "/etc/ca.pem",
            "LIFECYCLE_SMTP_ALLOW_PLAINTEXT_AUTH": "true",
            "LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT": "5",
        }
    )
    assert (settings.smtp_tls, settings.smtp_cafile, settings.smtp_allow_plaintext_auth) == (
        "implicit",
        "/etc/ca.pem",
        True,
    )
    assert settings.notice_daily_cap_per_recipient == 5
    assert Settings.from_env({}).notice_daily_cap_per_recipient == 20


@pytest.mark.parametrize(
    ("tls", "starttls", "mode"),
    [
        ("", False, "none"),
        ("", True, "starttls"),  # the older switch keeps working
        ("starttls", True, "starttls"),
        ("implicit", False, "implicit"),
        ("none", False, "none"),
    ],
)
def test_the_tls_mode_comes_from_the_new_setting_or_the_older_switch(tls: str, starttls: bool, mode: str) -> None:
    assert smtp_security.tls_mode(_settings(smtp_tls=tls, smtp_starttls=starttls)) == mode


@pytest.mark.parametrize(
    ("tls", "starttls", "message"),
    [
        ("ssl", False, "LIFECYCLE_SMTP_TLS is 'ssl': use one of none, starttls, implicit"),
        ("implicit", True, "LIFECYCLE_SMTP_STARTTLS=true contradicts LIFECYCLE_SMTP_TLS=implicit"),
        ("none", True, "LIFECYCLE_SMTP_STARTTLS=true contradicts LIFECYCLE_SMTP_TLS=none"),
    ],
)
def test_unknown_or_contradicting_modes_are_refused(tls: str, starttls: bool, message: str) -> None:
    with pytest.raises(UserError, match=message):
        smtp_security.tls_mode(_settings(smtp_tls=tls, smtp_starttls=starttls))


def test_a_login_without_tls_is_refused_naming_the_setting_that_allows_it() -> None:
    settings = _settings(smtp_username="notices", smtp_password="pw")

    with pytest.raises(UserError) as refused:
        transport_for(settings)

    message = str(refused.value)
    assert "\n" not in message
    assert "LIFECYCLE_SMTP_ALLOW_PLAINTEXT_AUTH=true" in message
    assert "LIFECYCLE_SMTP_TLS=starttls" in message


def test_a_login_without_tls_is_allowed_when_said_so() -> None:
    settings = _settings(smtp_username="notices", smtp_password="pw", smtp_allow_plaintext_auth=True)

    assert isinstance(transport_for(settings), SmtpTransport)


def test_no_login_needs_no_tls() -> None:
    assert isinstance(transport_for(_settings()), SmtpTransport)
    assert isinstance(transport_for(_settings(smtp_host="")), OutboxTransport)


def test_a_ca_file_with_tls_off_is_refused() -> None:
    with pytest.raises(UserError, match="LIFECYCLE_SMTP_CAFILE is set but LIFECYCLE_SMTP_TLS is none"):
        transport_for(_settings(smtp_cafile="/etc/ca.pem"))


@pytest.mark.parametrize("content", [None, "not a certificate"])
def test_an_unreadable_ca_file_is_refused_at_start(tmp_path: Path, content: str | None) -> None:
    cafile = tmp_path / "ca.pem"
    if content is not None:
        cafile.write_text(content)

    with pytest.raises(UserError, match=f"cannot use LIFECYCLE_SMTP_CAFILE {cafile}"):
        transport_for(_settings(smtp_tls="starttls", smtp_cafile=str(cafile)))


def test_the_tls_context_verifies_the_certificate_and_the_host_name() -> None:
    context = smtp_security.tls_context(_settings(smtp_tls="starttls"))

    assert context.check_hostname is True
    assert context.verify_mode.name == "CERT_REQUIRED"
