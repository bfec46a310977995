"""Settings from the environment, and the Kafka client settings built from them."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from lifecycle import metrics
from lifecycle.deadletter import MAX_PREVIEW_BYTES
from lifecycle.errors import UserError
from lifecycle.kafka_config import faust_broker_credentials, kafka_python_config
from lifecycle.replay.command import replay_events
from lifecycle.samples import events as ev
from lifecycle.settings import SETTINGS, Settings
from lifecycle.settings_types import MAX_DAYS
from schemas.checks import FIRST_YEAR, LAST_YEAR


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
    assert settings.database_url.get_secret_value() == ""
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


def test_secrets_never_print(clean_env: pytest.MonkeyPatch) -> None:
    # Long enough for the tokens' minimum length.
    secrets = {setting.env: f"secret-{index}-canary-value" for index, setting in enumerate(SETTINGS) if setting.secret}
    settings = Settings.from_env(secrets)
    shown = " ".join([repr(settings), str(settings), f"{settings}", str(settings.model_dump())])
    assert not [value for value in secrets.values() if value in shown]
    assert settings.smtp_password.get_secret_value() == secrets["LIFECYCLE_SMTP_PASSWORD"]


def test_the_passwords_tokens_and_dsns_are_the_secret_settings() -> None:
    assert {setting.env for setting in SETTINGS if setting.secret} == {
        "LIFECYCLE_KAFKA_SASL_PASSWORD",
        "LIFECYCLE_SMTP_PASSWORD",
        "LIFECYCLE_DASHBOARD_TOKEN",
        "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN",
        "LIFECYCLE_DB_STORE_PASSWORD",
        "LIFECYCLE_DB_SCHEDULER_PASSWORD",
        "LIFECYCLE_DB_NOTIFIER_PASSWORD",
        "LIFECYCLE_DB_READONLY_PASSWORD",
        "LIFECYCLE_DATABASE_URL",
        "LIFECYCLE_DATABASE_READONLY_URL",
        "LIFECYCLE_DATABASE_ADMIN_URL",
        "LIFECYCLE_DATABASE_STORE_URL",
        "LIFECYCLE_DATABASE_SCHEDULER_URL",
        "LIFECYCLE_DATABASE_NOTIFIER_URL",
    }


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("LIFECYCLE_SMTP_PORT", "twenty-five", "LIFECYCLE_SMTP_PORT must be a whole number, not 'twenty-five'"),
        ("LIFECYCLE_REMINDER_LEAD_DAYS", "30,x", "LIFECYCLE_REMINDER_LEAD_DAYS must be a whole number, not 'x'"),
        ("LIFECYCLE_DASHBOARD_HTTPS", "maybe", "LIFECYCLE_DASHBOARD_HTTPS must be true or false, not 'maybe'"),
        (
            "LIFECYCLE_RETRY_MAX_SECONDS",
            "soon",
            "LIFECYCLE_RETRY_MAX_SECONDS must be a number of seconds above 0, not 'soon'",
        ),
        (
            "LIFECYCLE_LAG_WINDOW_SECONDS",
            "0",
            "LIFECYCLE_LAG_WINDOW_SECONDS must be a number of seconds above 0, not '0'",
        ),
        ("LIFECYCLE_HOLD_DAYS", "0", f"LIFECYCLE_HOLD_DAYS must be a whole number of days from 1 to {MAX_DAYS}, not 0"),
        (
            "LIFECYCLE_REORDER_WINDOW_EVENTS",
            "-5",
            "LIFECYCLE_REORDER_WINDOW_EVENTS must be a whole number above 0, not -5",
        ),
        (
            "LIFECYCLE_HEALTH_LIVE_SECONDS",
            "0",
            "LIFECYCLE_HEALTH_LIVE_SECONDS must be a number of seconds above 0, not '0'",
        ),
        (
            "LIFECYCLE_DASHBOARD_SESSION_HOURS",
            "-1",
            "LIFECYCLE_DASHBOARD_SESSION_HOURS must be a number of hours above 0, not '-1'",
        ),
        # Periods past the contract's span of dates would take the rules' dates out of the calendar on every event.
        (
            "LIFECYCLE_REMINDER_LEAD_DAYS",
            "30,1000000",
            f"LIFECYCLE_REMINDER_LEAD_DAYS must be whole numbers of days from 0 to {MAX_DAYS}, not 1000000",
        ),
        (
            "LIFECYCLE_REMINDER_LEAD_DAYS",
            "7,-1",
            f"LIFECYCLE_REMINDER_LEAD_DAYS must be whole numbers of days from 0 to {MAX_DAYS}, not -1",
        ),
        (
            "LIFECYCLE_HOLD_DAYS",
            "1000000000",
            f"LIFECYCLE_HOLD_DAYS must be a whole number of days from 1 to {MAX_DAYS}, not 1000000000",
        ),
        (
            "LIFECYCLE_REORDER_WINDOW_DAYS",
            "3000000",
            f"LIFECYCLE_REORDER_WINDOW_DAYS must be a whole number of days from 1 to {MAX_DAYS}, not 3000000",
        ),
        # A negative age or cap would skip every notice.
        (
            "LIFECYCLE_NOTICE_MAX_AGE_DAYS",
            "-3",
            "LIFECYCLE_NOTICE_MAX_AGE_DAYS must be a whole number of 0 or more, not -3",
        ),
        (
            "LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT",
            "-1",
            "LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT must be a whole number of 0 or more, not -1",
        ),
        ("LIFECYCLE_SMTP_PORT", "70000", "LIFECYCLE_SMTP_PORT must be a port from 1 to 65535, not 70000"),
        ("LIFECYCLE_KAFKA_PORT", "0", "LIFECYCLE_KAFKA_PORT must be a port from 1 to 65534, not 0"),
        ("LIFECYCLE_KAFKA_PORT", "65535", "LIFECYCLE_KAFKA_PORT must be a port from 1 to 65534, not 65535"),
        (
            "LIFECYCLE_SCHEDULER_INTERVAL",
            "inf",
            "LIFECYCLE_SCHEDULER_INTERVAL must be a number of seconds of at most 31,622,400 (a year), not 'inf'",
        ),
        (
            "LIFECYCLE_RETRY_MAX_SECONDS",
            "1e400",
            "LIFECYCLE_RETRY_MAX_SECONDS must be a number of seconds of at most 31,622,400 (a year), not '1e400'",
        ),
        (
            "LIFECYCLE_DASHBOARD_SESSION_HOURS",
            "100000",
            "LIFECYCLE_DASHBOARD_SESSION_HOURS must be a number of hours of at most 8,784 (a year), not '100000'",
        ),
        (
            "LIFECYCLE_WORKER_REPLICATION_FACTOR",
            "0",
            "LIFECYCLE_WORKER_REPLICATION_FACTOR must be a whole number above 0, not 0",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(env: str, value: str, message: str) -> None:
    with pytest.raises(UserError) as raised:
        Settings.from_env({env: value})
    assert str(raised.value) == message


def test_periods_and_ports_at_their_bounds_are_taken() -> None:
    settings = Settings.from_env(
        {
            "LIFECYCLE_REMINDER_LEAD_DAYS": f"0,1,{MAX_DAYS}",
            "LIFECYCLE_HOLD_DAYS": str(MAX_DAYS),
            "LIFECYCLE_REORDER_WINDOW_DAYS": "1",
            "LIFECYCLE_NOTICE_MAX_AGE_DAYS": "0",
            "LIFECYCLE_SMTP_PORT": "65535",
            "LIFECYCLE_WORKER_STANDBY_REPLICAS": "0",
        }
    )
    assert settings.reminder_lead_days == (MAX_DAYS, 1, 0)
    assert (settings.hold_days, settings.reorder_window_days, settings.smtp_port) == (MAX_DAYS, 1, 65535)


def test_a_metrics_port_that_puts_a_component_past_the_last_port_is_one_line() -> None:
    settings = Settings.from_env({"LIFECYCLE_METRICS_PORT": "65534"})
    assert metrics.metrics_port(settings, "worker") == 65535
    with pytest.raises(UserError, match="puts the dashboard's /metrics on port 65539, past 65535; set it to 65530"):
        metrics.metrics_port(settings, "dashboard")


def test_the_longest_periods_keep_the_rules_dates_in_the_calendar() -> None:
    """Every period at its bound, over events at both ends of the contract's years: the replay runs them through."""
    periods = {name: str(MAX_DAYS) for name in ("LIFECYCLE_HOLD_DAYS", "LIFECYCLE_REORDER_WINDOW_DAYS")}
    policy = Settings.from_env({**periods, "LIFECYCLE_REMINDER_LEAD_DAYS": f"{MAX_DAYS},1"}).policy()
    first, last = datetime(FIRST_YEAR, 1, 2, tzinfo=UTC), datetime(LAST_YEAR - 1, 6, 1, tzinfo=UTC)
    events = [
        ev.purchase("p", first, "S", "a", "true-image", "2025", license_type="subscription", term_months=12),
        ev.renewal("r", last, "T", "a", "ro-1", 12, "sales"),  # held: T's purchase never comes
        ev.purchase("q", last, "S2", "a", "true-image", "2025", license_type="subscription", term_months=12),
    ]
    lines = [orjson.dumps(event).decode() for event in events]
    document = replay_events(lines, datetime(LAST_YEAR, 12, 31, tzinfo=UTC), policy)
    assert document["rejected"] == []
    assert [held["event_id"] for held in document["held"]] == ["r"]  # its hold ends long after the last date
    assert [e["status"] for e in document["entitlements"]] == ["expired", "expired"]


def test_empty_switches_are_off_and_only_the_given_mapping_is_read(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LIFECYCLE_TOPIC_PREFIX", "from-the-process")
    settings = Settings.from_env({"LIFECYCLE_SMTP_STARTTLS": "", "LIFECYCLE_DASHBOARD_HTTPS": "on"})
    assert (settings.smtp_starttls, settings.dashboard_https, settings.topic_prefix) == (False, True, "lifecycle")
    assert Settings.from_env().topic_prefix == "from-the-process"


def test_replace_checks_and_types_the_changes() -> None:
    changed = Settings.from_env({}).replace(database_url="postgresql://u:pw-secret@h/d", smtp_port="2525")
    assert changed.database_url.get_secret_value() == "postgresql://u:pw-secret@h/d"
    assert changed.smtp_port == 2525
    assert "pw-secret" not in repr(changed)
    with pytest.raises(UserError, match="LIFECYCLE_HOLD_DAYS must be a whole number"):
        changed.replace(hold_days="soon")


def test_the_reorder_window_settings_reach_the_rules_policy() -> None:
    policy = Settings.from_env(
        {"LIFECYCLE_REORDER_WINDOW_DAYS": "400", "LIFECYCLE_REORDER_WINDOW_EVENTS": "200"}
    ).policy()
    assert (policy.reorder_window_days, policy.kept_events) == (400, 200)
