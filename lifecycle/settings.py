"""Settings read from the environment: each declared once, with its default and meaning, in one typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lifecycle.errors import UserError
from lifecycle.rules.model import Policy
from lifecycle.settings_files import with_secret_files
from lifecycle.settings_places import Dsn, TopicPrefix
from lifecycle.settings_source import PREFIX, Environment, problem
from lifecycle.settings_types import (
    AgeDays,
    BatchSize,
    Brokers,
    Count,
    Days,
    Flag,
    Folder,
    Hours,
    KafkaPort,
    Lower,
    Minutes,
    Names,
    NotNegative,
    Period,
    Port,
    PreviewBytes,
    Seconds,
    Token,
    Upper,
)
from lifecycle.settings_types import declared as _env


class Settings(BaseSettings):
    """The typed view of the environment (`LIFECYCLE_<FIELD>`); secrets are SecretStr and never print."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, validate_default=True, extra="ignore")

    home: Folder = _env(".lifecycle", "Folder for the local stack's data, logs, jars and the outbox.")
    topic_prefix: TopicPrefix = _env("lifecycle", "Prefix of every topic name (tests use their own).")
    kafka_bootstrap: Brokers = _env("127.0.0.1:9092", "Kafka bootstrap servers, comma separated.")
    kafka_port: KafkaPort = _env("9092", "Port of the local broker started by `lifecycle stack up`.")
    kafka_security_protocol: Upper = _env("PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.")
    kafka_sasl_mechanism: str = _env("SCRAM-SHA-512", "SASL mechanism when SASL is on.")
    kafka_sasl_username: str = _env("", "SASL user name.")
    kafka_sasl_password: SecretStr = _env("", "SASL password (never logged).")
    kafka_ssl_cafile: str = _env("", "CA bundle that signed the brokers' certificates.")
    database_url: Dsn = _env("", "PostgreSQL DSN; empty starts a local cluster from Debian's packages.")
    database_readonly_url: Dsn = _env("", "DSN of the read-only role for the dashboard; empty: DATABASE_URL.")
    database_store_url: Dsn = _env("", "DSN of the store's own role; empty: DATABASE_URL.")
    database_scheduler_url: Dsn = _env("", "DSN of the scheduler's own role; empty: DATABASE_URL.")
    database_notifier_url: Dsn = _env("", "DSN of the notifier's own role; empty: DATABASE_URL.")
    pg_port: Port = _env("5433", "Port of the local PostgreSQL cluster started by the stack.")
    database_admin_url: Dsn = _env("", "DSN for `lifecycle db migrate` (a superuser); empty: DATABASE_URL.")
    db_owner_role: str = _env("lifecycle_owner", "Role that owns the schema; migrations run as it (NOLOGIN).")
    db_store_role: str = _env("lifecycle_store", "Login role of the store: the rows it writes (consumers/grants.py).")
    db_store_password: SecretStr = _env("", "Password `db migrate` sets on the store's role; empty: as is.")
    db_scheduler_role: str = _env("lifecycle_scheduler", "Login role of the scheduler: its rows (consumers/grants.py).")
    db_scheduler_password: SecretStr = _env("", "Password `db migrate` sets on the scheduler's role; empty: as is.")
    db_notifier_role: str = _env("lifecycle_notifier", "Login role of the notifier: its rows (consumers/grants.py).")
    db_notifier_password: SecretStr = _env("", "Password `db migrate` sets on the notifier's role; empty: as is.")
    db_app_role: str = _env("lifecycle_app", "Former shared role: `db migrate --revoke-former-role` takes its rights.")
    db_readonly_role: str = _env("lifecycle_readonly", "Login role of the dashboard: SELECT only.")
    db_readonly_password: SecretStr = _env("", "Password `db migrate` sets on the read-only role; empty: as is.")
    store_batch_size: BatchSize = _env("2000", "Most messages the store writes in one transaction (up to 100000).")
    retry_max_seconds: Seconds = _env("10", "Longest pause between retries while PostgreSQL or Kafka is down.")
    scheduler_interval: Seconds = _env("60", "Seconds between the scheduler's sweeps.")
    smtp_host: str = _env("", "SMTP server for notices; empty writes .eml files to the outbox.")
    smtp_port: Port = _env("25", "SMTP port.")
    smtp_tls: Lower = _env(
        "",
        "none, starttls or implicit (SMTPS, port 465); empty: starttls if LIFECYCLE_SMTP_STARTTLS is true, else none.",
    )
    smtp_starttls: Flag = _env("false", "Older switch for LIFECYCLE_SMTP_TLS=starttls (read when that is empty).")
    smtp_cafile: str = _env("", "CA bundle that signed the SMTP server's certificate; empty: the system's CAs.")
    smtp_username: str = _env("", "SMTP login user.")
    smtp_password: SecretStr = _env("", "SMTP login password (never logged).")
    smtp_allow_plaintext_auth: Flag = _env("false", "Allow the SMTP login without TLS (the password travels in clear).")
    mail_from: str = _env("support@example.com", "Sender address of notices.")
    reminder_lead_days: Days = _env("30,7,1", "Days before expiry when reminders go out.")
    hold_days: Period = _env("30", "Days an event waits for its serial's purchase before it is dead-lettered.")
    reorder_window_days: Period = _env(
        "3650",
        "Days before a serial's newest event within which a late event still takes its place; older: dead-lettered.",
    )
    reorder_window_events: Count = _env(
        "64",
        "Most events a serial keeps for late ones to take their place among; older ones are folded in for good.",
    )
    notice_max_age_days: AgeDays = _env("7", "Days past its due date after which a notice is skipped, not sent.")
    notice_daily_cap_per_recipient: NotNegative = _env(
        "20", "Most notices sent to one address per UTC day; the rest are skipped (0: no cap)."
    )
    notice_defer_attempts: Count = _env("5", "Deferrals (4xx) of a notice, parked between tries, then dead-lettered.")
    notice_defer_minutes: Minutes = _env("1440", "And minutes since its first deferral (others go on meanwhile).")
    deadletter_preview_bytes: PreviewBytes = _env(
        "65536",
        "Bytes of a refused input a dead letter keeps; a larger input keeps this much, its size and SHA-256.",
    )
    worker_store: str = _env("rocksdb://", "Faust table store: rocksdb:// or memory://.")
    worker_data_dir: str = _env("", "Faust data folder (one per worker); default under LIFECYCLE_HOME.")
    worker_standby_replicas: NotNegative = _env("0", "Standby replicas of the processor's table.")
    worker_replication_factor: Count = _env("1", "Replicas of the processor's changelog; 3 in production.")
    web_bind: str = _env("127.0.0.1", "Address the processes' web servers bind to.")
    web_port: Port = _env("6066", "Port of the processor's web server.")
    dashboard_port: Port = _env("8088", "Port of the dashboard.")
    dashboard_token: Token = _env("", "Token the dashboard asks for (16 characters or more); empty generates one.")
    dashboard_https: Flag = _env(
        "false",
        "Operators reach the dashboard over https (a TLS proxy in front): Secure cookie and HSTS.",
    )
    dashboard_session_hours: Hours = _env("12", "Hours a dashboard sign-in lasts.")
    dashboard_operator_token: Token = _env(
        "",
        "Second token that allows redriving dead letters from the dashboard; empty: redrive is off.",
    )
    lag_window_seconds: Seconds = _env(
        "120",
        "Seconds of lag samples the dashboard judges each partition over (ok, lagging, stalled, stopped).",
    )
    lag_stopped_seconds: Seconds = _env(
        "300",
        "Seconds since a partition's committed offset last moved, with lag, after which it is stopped, not stalled.",
    )
    metrics_port: NotNegative = _env("9400", "Base port of /metrics (worker +1 … dashboard +5); 0 turns it off.")
    health_targets: Names = _env("", "component=http://host:port pairs the dashboard checks; empty: local.")
    health_live_seconds: Seconds = _env(
        "60",
        "Seconds without a main-loop beat after which a process's /healthz answers 503 (the scheduler: 3 intervals).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values given: from_env reads the environment (or the mapping a caller passes) itself."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from the environment (or only `environ`); a bad value is one UserError line."""
        source = Environment(cls, with_secret_files(os.environ if environ is None else environ, secret_settings()))
        return cls._validated(source())

    @classmethod
    def _validated(cls, values: Mapping[str, Any]) -> Settings:
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise UserError("; ".join(_problem(error) for error in exc.errors())) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, each checked as if it came from the environment."""
        return self._validated({**dict(self), **changes})

    def policy(self) -> Policy:
        """The rules' policy these settings give: reminder lead days, the hold period and the reorder window."""
        return Policy.with_lead_days(
            self.reminder_lead_days, self.hold_days, self.reorder_window_days, self.reorder_window_events
        )

    def topic(self, suffix: str) -> str:
        """The full name of a topic under this deployment's prefix."""
        return f"{self.topic_prefix}.{suffix}"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"


def secret_settings() -> frozenset[str]:
    """The names of the secret settings (typed SecretStr: DSNs, passwords, tokens), as the environment has them."""
    fields = Settings.model_fields.items()
    return frozenset(PREFIX + name.upper() for name, field in fields if field.annotation is SecretStr)


def _problem(error: Any) -> str:
    """One validation error as one line; a secret's value is never shown."""
    field = Settings.model_fields.get(str(error["loc"][0]) if error["loc"] else "")
    return problem(error, secret=field is not None and field.annotation is SecretStr)


@dataclass(frozen=True)
class Setting:
    """One environment variable as the README's table shows it: name, default text, meaning, secret or not."""

    env: str
    default: str
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(PREFIX + name.upper(), str(field.default), field.description or "", field.annotation is SecretStr)
    for name, field in Settings.model_fields.items()
)
