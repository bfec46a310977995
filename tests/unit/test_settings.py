"""Settings from the environment, and the Kafka client settings built from them."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from lifecycle.deadletter import MAX_PREVIEW_BYTES
from lifecycle.errors import UserError
from lifecycle.kafka_config import faust_broker_credentials, kafka_python_config
from lifecycle.settings import SETTINGS, Settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without any LIFECYCLE_* variable."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    return monkeypatch


def test_defaults_match_the_local_stack(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert settings.topic_prefix == "lifecycle"
    assert settings.kafka_bootstrap == ("127.0.0.1:9092",)
    assert settings.kafka_port == 9092
    assert settings.pg_port == 5433
    assert settings.database_url == ""
    assert settings.home == Path(".lifecycle").resolve()
    assert settings.reminder_lead_days == (30, 7, 1)


def test_environment_overrides_and_lists(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LIFECYCLE_TOPIC_PREFIX", "tabc")
    clean_env.setenv("LIFECYCLE_KAFKA_BOOTSTRAP", " h1:9092, h2:9093 ,")
    clean_env.setenv("LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "sasl_ssl")
    clean_env.setenv("LIFECYCLE_REMINDER_LEAD_DAYS", "1,30,7")
    clean_env.setenv("LIFECYCLE_SMTP_STARTTLS", "yes")
    settings = Settings.from_env()
    assert settings.topic("purchases") == "tabc.purchases"
    assert settings.kafka_bootstrap == ("h1:9092", "h2:9093")
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.reminder_lead_days == (30, 7, 1)
    assert settings.smtp_starttls is True


def test_secrets_stay_out_of_repr(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LIFECYCLE_KAFKA_SASL_PASSWORD", "kafka-secret")
    clean_env.setenv("LIFECYCLE_DATABASE_URL", "postgresql://u:db-secret@h/d")
    clean_env.setenv("LIFECYCLE_SMTP_PASSWORD", "smtp-secret")
    text = repr(Settings.from_env())
    assert "kafka-secret" not in text
    assert "db-secret" not in text
    assert "smtp-secret" not in text


def test_every_setting_is_documented_with_a_lifecycle_name() -> None:
    assert all(setting.env.startswith("LIFECYCLE_") and setting.help for setting in SETTINGS)
    assert len({setting.env for setting in SETTINGS}) == len(SETTINGS)


def test_plaintext_client_config(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert kafka_python_config(settings) == {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "PLAINTEXT"}
    assert faust_broker_credentials(settings) is None


def test_sasl_ssl_client_config(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    clean_env.setenv("LIFECYCLE_KAFKA_SASL_USERNAME", "pipeline")
    clean_env.setenv("LIFECYCLE_KAFKA_SASL_PASSWORD", "s3cret")
    clean_env.setenv("LIFECYCLE_KAFKA_SSL_CAFILE", ssl.get_default_verify_paths().openssl_cafile)
    settings = Settings.from_env()
    config = kafka_python_config(settings)
    assert config["security_protocol"] == "SASL_SSL"
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (config["sasl_plain_username"], config["sasl_plain_password"]) == ("pipeline", "s3cret")
    assert config["ssl_cafile"] == settings.kafka_ssl_cafile
    credentials = faust_broker_credentials(settings)
    assert type(credentials).__name__ == "SASLCredentials"
    assert isinstance(credentials.ssl_context, ssl.SSLContext)  # type: ignore[attr-defined]


def test_sasl_plaintext_has_no_tls_context(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    clean_env.setenv("LIFECYCLE_KAFKA_SASL_USERNAME", "pipeline")
    credentials = faust_broker_credentials(Settings.from_env())
    assert credentials.ssl_context is None  # type: ignore[attr-defined]
    assert "ssl_cafile" not in kafka_python_config(Settings.from_env())


def test_ssl_only_gives_faust_a_tls_context(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "SSL")
    assert isinstance(faust_broker_credentials(Settings.from_env()), ssl.SSLContext)


@pytest.mark.parametrize(
    ("protocol", "message"),
    [("KERBEROS", "is not one of"), ("SASL_SSL", "needs LIFECYCLE_KAFKA_SASL_USERNAME")],
)
def test_bad_security_settings_are_user_errors(clean_env: pytest.MonkeyPatch, protocol: str, message: str) -> None:
    clean_env.setenv("LIFECYCLE_KAFKA_SECURITY_PROTOCOL", protocol)
    with pytest.raises(UserError, match=message):
        kafka_python_config(Settings.from_env())


@pytest.mark.parametrize("value", ["-1", str(MAX_PREVIEW_BYTES + 1)])
def test_a_dead_letter_preview_that_could_outgrow_a_message_is_refused(
    clean_env: pytest.MonkeyPatch, value: str
) -> None:
    clean_env.setenv("LIFECYCLE_DEADLETTER_PREVIEW_BYTES", value)
    with pytest.raises(UserError, match="LIFECYCLE_DEADLETTER_PREVIEW_BYTES must be between 0 and"):
        Settings.from_env()


def test_the_dead_letter_preview_defaults_to_64_kib(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().deadletter_preview_bytes == 65_536
    clean_env.setenv("LIFECYCLE_DEADLETTER_PREVIEW_BYTES", "0")
    assert Settings.from_env().deadletter_preview_bytes == 0
