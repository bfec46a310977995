"""Secret settings from files (`LIFECYCLE_<SECRET>_FILE`): read and masked as the setting, passed only where due."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.errors import UserError
from lifecycle.redact import redact, secret_values
from lifecycle.settings import Settings
from lifecycle.up import child_environment
from lifecycle.up_children import own_secrets_only

pytestmark = pytest.mark.unit


def _file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "secret"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_secret_setting_is_read_from_its_file_without_the_final_line_end(tmp_path: Path) -> None:
    settings = Settings.from_env({"LIFECYCLE_SMTP_PASSWORD_FILE": _file(tmp_path, "s3cret pass\n")})

    assert settings.smtp_password.get_secret_value() == "s3cret pass"


def test_a_dsn_from_a_file_is_checked_as_the_setting_is(tmp_path: Path) -> None:
    dsn = "postgresql://lifecycle_store:Xy7kQ9%2FkP@db.internal:5432/lifecycle"
    settings = Settings.from_env({"lifecycle_database_store_url_file": _file(tmp_path, dsn)})

    assert settings.database_store_url.get_secret_value() == dsn


def test_a_secret_set_both_ways_is_refused_in_one_line(tmp_path: Path) -> None:
    environ = {"LIFECYCLE_SMTP_PASSWORD": "one", "LIFECYCLE_SMTP_PASSWORD_FILE": _file(tmp_path, "two")}

    with pytest.raises(UserError, match=r"^LIFECYCLE_SMTP_PASSWORD and LIFECYCLE_SMTP_PASSWORD_FILE are both set"):
        Settings.from_env(environ)


def test_a_file_that_cannot_be_read_is_one_line_naming_the_setting_and_the_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as raised:
        Settings.from_env({"LIFECYCLE_KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "missing")})

    assert str(raised.value) == (
        f"LIFECYCLE_KAFKA_SASL_PASSWORD_FILE: cannot read the file '{tmp_path / 'missing'}' (No such file or directory)"
    )


def test_only_secret_settings_come_from_files(tmp_path: Path) -> None:
    settings = Settings.from_env({"LIFECYCLE_TOPIC_PREFIX_FILE": _file(tmp_path, "elsewhere")})

    assert settings.topic_prefix == "lifecycle"


def test_a_secret_from_a_file_is_masked_in_any_output(tmp_path: Path) -> None:
    environ = {"LIFECYCLE_DASHBOARD_TOKEN_FILE": _file(tmp_path, "tok-9f8e7d6c\n")}

    assert "tok-9f8e7d6c" in secret_values(environ)
    assert redact("login with tok-9f8e7d6c failed", secret_values(environ)) == "login with *** failed"


def test_a_child_is_not_told_where_a_secret_it_may_not_read_is(tmp_path: Path) -> None:
    environ = {"LIFECYCLE_SMTP_PASSWORD_FILE": "/run/secrets/smtp", "LIFECYCLE_DASHBOARD_TOKEN_FILE": "/run/secrets/t"}

    assert own_secrets_only(environ, "notifier") == {"LIFECYCLE_SMTP_PASSWORD_FILE": "/run/secrets/smtp"}
    assert own_secrets_only(environ, "worker") == {}


def test_one_file_that_cannot_be_read_hides_no_other_secret(tmp_path: Path) -> None:
    environ = {
        "LIFECYCLE_SMTP_PASSWORD_FILE": _file(tmp_path, "smtp-secret-pw"),
        "LIFECYCLE_DASHBOARD_TOKEN_FILE": str(tmp_path / "gone"),
    }

    assert redact("login failed with smtp-secret-pw", secret_values(environ)) == "login failed with ***"


def test_up_passes_the_dashboard_its_token_file_not_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = _file(tmp_path, "tok-from-file-0123456789\n")
    monkeypatch.setenv("LIFECYCLE_DASHBOARD_TOKEN_FILE", token_file)
    settings = Settings.from_env({"LIFECYCLE_DASHBOARD_TOKEN_FILE": token_file})

    child = own_secrets_only(child_environment(settings, True, "tok-from-file-0123456789"), "dashboard")

    assert "LIFECYCLE_DASHBOARD_TOKEN" not in child
    assert Settings.from_env(child).dashboard_token.get_secret_value() == "tok-from-file-0123456789"


def test_a_secret_given_as_a_value_too_reaches_a_child_as_that_value() -> None:
    environ = {"LIFECYCLE_DB_STORE_PASSWORD": "", "LIFECYCLE_DB_STORE_PASSWORD_FILE": "/run/secrets/store"}

    assert own_secrets_only(environ, "db") == {"LIFECYCLE_DB_STORE_PASSWORD": ""}  # as the local stack sets it
