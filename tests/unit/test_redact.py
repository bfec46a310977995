"""One redaction for every output: DSN and URL credentials, tokens and passwords, and the secret settings' values."""

from __future__ import annotations

import io
import logging

import pytest

from lifecycle.redact import SECRET_SETTINGS, RedactingFormatter, dsn_password, redact, secret_values
from lifecycle.settings import SETTINGS


@pytest.mark.parametrize(
    ("dsn", "password"),
    [
        ("postgresql://app:s3cret-pw@db:5432/lifecycle", "s3cret-pw"),
        ("postgresql://app:p@ss-word@db/lifecycle", "p@ss-word"),  # an unencoded @: the last one ends it
        ("postgresql:/app:half-a-url@db/lifecycle", "half-a-url"),  # malformed: libpq echoes it whole
        ("postgresql://app:s3cret@[::1/db", "s3cret"),
        ("app:bare-userinfo@db/lifecycle", "bare-userinfo"),
        ("host=db user=app password=kv-secret port=5432", "kv-secret"),
        ("host=db password='quoted secret' port=5432", "quoted secret"),
        ("postgresql://app@db/lifecycle", ""),
        ("", ""),
    ],
)
def test_the_password_is_found_in_any_dsn(dsn: str, password: str) -> None:
    assert dsn_password(dsn) == password


def test_the_secret_settings_are_the_settings_kept_out_of_repr() -> None:
    names = {setting.env for setting in SETTINGS}
    assert set(SECRET_SETTINGS) <= names
    assert {
        "LIFECYCLE_DATABASE_URL",
        "LIFECYCLE_SMTP_PASSWORD",
        "LIFECYCLE_KAFKA_SASL_PASSWORD",
        "LIFECYCLE_DASHBOARD_TOKEN",
        "LIFECYCLE_DB_STORE_PASSWORD",
    } <= set(SECRET_SETTINGS)


def test_secret_values_come_from_the_environment_and_dsns() -> None:
    environ = {
        "LIFECYCLE_DATABASE_URL": "postgresql://app:db%2Fcanary@db/lifecycle",
        "LIFECYCLE_SMTP_PASSWORD": "smtp-canary",
        "LIFECYCLE_DASHBOARD_TOKEN": "abc",  # too short to replace everywhere
        "LIFECYCLE_SMTP_USERNAME": "notices",  # not a secret
    }

    found = secret_values(environ)

    assert {"db%2Fcanary", "db/canary", "smtp-canary"} <= set(found)
    assert environ["LIFECYCLE_DATABASE_URL"] not in found  # its host and database stay readable
    assert "abc" not in found
    assert "notices" not in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'invalid dsn: missing "=" after "postgresql:/app:pw1234@db:5432/x" in connection info string',
            'invalid dsn: missing "=" after "postgresql:/app:***@db:5432/x" in connection info string',
        ),
        (
            "redis://user:pw1234@cache:6379/0 and http://host:8080/a@b",
            "redis://user:***@cache:6379/0 and http://host:8080/a@b",
        ),
        ("host=db password=pw1234 port=1", "host=db password=*** port=1"),
        ('{"password": "pw1234", "api_key": "k"}', '{"password": ***, "api_key": ***}'),
        ("GET /?token=tok123&page=2", "GET /?token=***&page=2"),
        ('(invalid percent-encoded token: "pw%zz"): check it', "(invalid percent-encoded token: ***): check it"),
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer ***"),
        ('password authentication failed for user "app"', 'password authentication failed for user "app"'),
    ],
)
def test_patterns_mask_credentials_in_any_text(text: str, expected: str) -> None:
    assert redact(text, ()) == expected
    assert redact(expected, ()) == expected  # a message redacted twice (where made, and where printed) stays whole


def test_known_secrets_are_masked_wherever_they_appear() -> None:
    text = "login refused for notices with smtp-canary; token smtp-canary-2"

    assert redact(text, ["smtp-canary", "smtp-canary-2"]) == "login refused for notices with ***; token ***"


def test_redact_reads_the_secrets_from_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_SMTP_PASSWORD", "env-canary")

    assert redact("the server said env-canary") == "the server said ***"


def test_log_lines_and_tracebacks_are_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(message)s", ["log-canary"]))
    logger = logging.getLogger("tests.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connecting with %s", "postgresql://app:log-canary@db/x")
        try:
            raise ValueError("libpq said log-canary")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)

    output = stream.getvalue()
    assert "log-canary" not in output
    assert "postgresql://app:***@db/x" in output
    assert "ValueError: libpq said ***" in output
