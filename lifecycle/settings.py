"""Settings read from the environment, one typed object for every process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lifecycle.deadletter import MAX_PREVIEW_BYTES
from lifecycle.errors import UserError
from lifecycle.rules.model import Policy


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, default and meaning (the README's table is built from these)."""

    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("LIFECYCLE_HOME", ".lifecycle", "Folder for the local stack's data, logs, jars and the outbox."),
    Setting("LIFECYCLE_TOPIC_PREFIX", "lifecycle", "Prefix of every topic name (tests use their own)."),
    Setting("LIFECYCLE_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers, comma separated."),
    Setting("LIFECYCLE_KAFKA_PORT", "9092", "Port of the local broker started by `lifecycle stack up`."),
    Setting("LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."),
    Setting("LIFECYCLE_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512", "SASL mechanism when SASL is on."),
    Setting("LIFECYCLE_KAFKA_SASL_USERNAME", "", "SASL user name."),
    Setting("LIFECYCLE_KAFKA_SASL_PASSWORD", "", "SASL password (never logged)."),
    Setting("LIFECYCLE_KAFKA_SSL_CAFILE", "", "CA bundle that signed the brokers' certificates."),
    Setting("LIFECYCLE_DATABASE_URL", "", "PostgreSQL DSN; empty starts a local cluster from Debian's packages."),
    Setting("LIFECYCLE_DATABASE_READONLY_URL", "", "DSN of the read-only role for the dashboard; empty: DATABASE_URL."),
    Setting("LIFECYCLE_PG_PORT", "5433", "Port of the local PostgreSQL cluster started by the stack."),
    Setting("LIFECYCLE_DATABASE_ADMIN_URL", "", "DSN for `lifecycle db migrate` (a superuser); empty: DATABASE_URL."),
    Setting("LIFECYCLE_DB_OWNER_ROLE", "lifecycle_owner", "Role that owns the schema; migrations run as it (NOLOGIN)."),
    Setting("LIFECYCLE_DB_APP_ROLE", "lifecycle_app", "Login role of store, scheduler and notifier: DML only, no DDL."),
    Setting("LIFECYCLE_DB_APP_PASSWORD", "", "Password `db migrate` sets on the app role; empty leaves it as is."),
    Setting("LIFECYCLE_DB_READONLY_ROLE", "lifecycle_readonly", "Login role of the dashboard: SELECT only."),
    Setting("LIFECYCLE_DB_READONLY_PASSWORD", "", "Password `db migrate` sets on the read-only role; empty: as is."),
    Setting("LIFECYCLE_STORE_BATCH_SIZE", "2000", "Most messages the store writes in one transaction."),
    Setting("LIFECYCLE_RETRY_MAX_SECONDS", "10", "Longest pause between retries while PostgreSQL or Kafka is down."),
    Setting("LIFECYCLE_SCHEDULER_INTERVAL", "60", "Seconds between the scheduler's sweeps."),
    Setting("LIFECYCLE_SMTP_HOST", "", "SMTP server for notices; empty writes .eml files to the outbox."),
    Setting("LIFECYCLE_SMTP_PORT", "25", "SMTP port."),
    Setting(
        "LIFECYCLE_SMTP_TLS",
        "",
        "none, starttls or implicit (SMTPS, port 465); empty: starttls if LIFECYCLE_SMTP_STARTTLS is true, else none.",
    ),
    Setting(
        "LIFECYCLE_SMTP_STARTTLS", "false", "Older switch for LIFECYCLE_SMTP_TLS=starttls (read when that is empty)."
    ),
    Setting(
        "LIFECYCLE_SMTP_CAFILE", "", "CA bundle that signed the SMTP server's certificate; empty: the system's CAs."
    ),
    Setting("LIFECYCLE_SMTP_USERNAME", "", "SMTP login user."),
    Setting("LIFECYCLE_SMTP_PASSWORD", "", "SMTP login password (never logged)."),
    Setting(
        "LIFECYCLE_SMTP_ALLOW_PLAINTEXT_AUTH",
        "false",
        "Allow the SMTP login without TLS (the password travels in clear).",
    ),
    Setting("LIFECYCLE_MAIL_FROM", "support@example.com", "Sender address of notices."),
    Setting("LIFECYCLE_REMINDER_LEAD_DAYS", "30,7,1", "Days before expiry when reminders go out."),
    Setting("LIFECYCLE_HOLD_DAYS", "30", "Days an event waits for its serial's purchase before it is dead-lettered."),
    Setting(
        "LIFECYCLE_REORDER_WINDOW_DAYS",
        "3650",
        "Days before a serial's newest event within which a late event still takes its place; older: dead-lettered.",
    ),
    Setting("LIFECYCLE_NOTICE_MAX_AGE_DAYS", "7", "Days past its due date after which a notice is skipped, not sent."),
    Setting(
        "LIFECYCLE_NOTICE_DAILY_CAP_PER_RECIPIENT",
        "20",
        "Most notices sent to one address per UTC day; the rest are skipped (0: no cap).",
    ),
    Setting(
        "LIFECYCLE_DEADLETTER_PREVIEW_BYTES",
        "65536",
        "Bytes of a refused input a dead letter keeps; a larger input keeps this much, its size and SHA-256.",
    ),
    Setting("LIFECYCLE_WORKER_STORE", "rocksdb://", "Faust table store: rocksdb:// or memory://."),
    Setting("LIFECYCLE_WORKER_DATA_DIR", "", "Faust data folder (one per worker); default under LIFECYCLE_HOME."),
    Setting("LIFECYCLE_WORKER_STANDBY_REPLICAS", "0", "Standby replicas of the processor's table."),
    Setting("LIFECYCLE_WORKER_REPLICATION_FACTOR", "1", "Replicas of the processor's changelog; 3 in production."),
    Setting("LIFECYCLE_WEB_BIND", "127.0.0.1", "Address the processes' web servers bind to."),
    Setting("LIFECYCLE_WEB_PORT", "6066", "Port of the processor's web server."),
    Setting("LIFECYCLE_DASHBOARD_PORT", "8088", "Port of the dashboard."),
    Setting(
        "LIFECYCLE_DASHBOARD_TOKEN", "", "Token the dashboard asks for (16 characters or more); empty generates one."
    ),
    Setting(
        "LIFECYCLE_DASHBOARD_HTTPS",
        "false",
        "Operators reach the dashboard over https (a TLS proxy in front): Secure cookie and HSTS.",
    ),
    Setting("LIFECYCLE_DASHBOARD_SESSION_HOURS", "12", "Hours a dashboard sign-in lasts."),
    Setting(
        "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN",
        "",
        "Second token that allows redriving dead letters from the dashboard; empty: redrive is off.",
    ),
    Setting(
        "LIFECYCLE_LAG_WINDOW_SECONDS",
        "120",
        "Seconds of lag samples the dashboard judges each partition over (ok, lagging, stalled, stopped).",
    ),
    Setting(
        "LIFECYCLE_LAG_STOPPED_SECONDS",
        "300",
        "Seconds since a partition's committed offset last moved, with lag, after which it is stopped, not stalled.",
    ),
    Setting("LIFECYCLE_METRICS_PORT", "9400", "Base port of /metrics (worker +1 … dashboard +5); 0 turns it off."),
    Setting("LIFECYCLE_HEALTH_TARGETS", "", "component=http://host:port pairs the dashboard checks; empty: local."),
    Setting(
        "LIFECYCLE_HEALTH_LIVE_SECONDS",
        "60",
        "Seconds without a main-loop beat after which a process's /healthz answers 503 (the scheduler: 3 intervals).",
    ),
)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _preview_bytes(value: str) -> int:
    """LIFECYCLE_DEADLETTER_PREVIEW_BYTES, within what keeps every dead letter below the message size limit."""
    preview = int(value)
    if not 0 <= preview <= MAX_PREVIEW_BYTES:
        raise UserError(f"LIFECYCLE_DEADLETTER_PREVIEW_BYTES must be between 0 and {MAX_PREVIEW_BYTES}, not {preview}")
    return preview


def _seconds(name: str, value: str) -> float:
    """A number of seconds above zero, or one line naming the setting."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise UserError(f"{name} must be a number of seconds above 0, not {value!r}")
    return seconds


@dataclass(frozen=True)
class Settings:
    """The typed view of the environment; secrets are kept out of repr."""

    home: Path
    topic_prefix: str
    kafka_bootstrap: tuple[str, ...]
    kafka_port: int
    kafka_security_protocol: str
    kafka_sasl_mechanism: str
    kafka_sasl_username: str
    kafka_sasl_password: str = field(repr=False)
    kafka_ssl_cafile: str = ""
    database_url: str = field(default="", repr=False)
    database_readonly_url: str = field(default="", repr=False)
    pg_port: int = 5433
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_tls: str = ""
    smtp_starttls: bool = False
    smtp_cafile: str = ""
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_allow_plaintext_auth: bool = False
    mail_from: str = "support@example.com"
    reminder_lead_days: tuple[int, ...] = (30, 7, 1)
    hold_days: int = 30
    reorder_window_days: int = 3650
    notice_max_age_days: int = 7
    notice_daily_cap_per_recipient: int = 20
    deadletter_preview_bytes: int = 65_536
    worker_store: str = "rocksdb://"
    worker_data_dir: str = ""
    worker_standby_replicas: int = 0
    worker_replication_factor: int = 1
    web_bind: str = "127.0.0.1"
    web_port: int = 6066
    dashboard_port: int = 8088
    dashboard_token: str = field(default="", repr=False)
    dashboard_https: bool = False
    dashboard_session_hours: float = 12.0
    dashboard_operator_token: str = field(default="", repr=False)
    lag_window_seconds: float = 120.0
    lag_stopped_seconds: float = 300.0
    metrics_port: int = 9400
    database_admin_url: str = field(default="", repr=False)
    db_owner_role: str = "lifecycle_owner"
    db_app_role: str = "lifecycle_app"
    db_app_password: str = field(default="", repr=False)
    db_readonly_role: str = "lifecycle_readonly"
    db_readonly_password: str = field(default="", repr=False)
    store_batch_size: int = 2000
    retry_max_seconds: float = 10.0
    scheduler_interval: float = 60.0
    health_targets: tuple[str, ...] = ()
    health_live_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from the environment (or `environ`), falling back to the documented defaults."""
        source = os.environ if environ is None else environ
        raw = {s.env: source.get(s.env, s.default) for s in SETTINGS}

        def get(name: str) -> str:
            return raw["LIFECYCLE_" + name.upper()]

        return cls(
            home=Path(get("home")).resolve(),
            topic_prefix=get("topic_prefix"),
            kafka_bootstrap=_split(get("kafka_bootstrap")),
            kafka_port=int(get("kafka_port")),
            kafka_security_protocol=get("kafka_security_protocol").upper(),
            kafka_sasl_mechanism=get("kafka_sasl_mechanism"),
            kafka_sasl_username=get("kafka_sasl_username"),
            kafka_sasl_password=get("kafka_sasl_password"),
            kafka_ssl_cafile=get("kafka_ssl_cafile"),
            database_url=get("database_url"),
            database_readonly_url=get("database_readonly_url"),
            pg_port=int(get("pg_port")),
            smtp_host=get("smtp_host"),
            smtp_port=int(get("smtp_port")),
            smtp_tls=get("smtp_tls").strip().lower(),
            smtp_starttls=get("smtp_starttls").lower() in {"1", "true", "yes"},
            smtp_cafile=get("smtp_cafile"),
            smtp_username=get("smtp_username"),
            smtp_password=get("smtp_password"),
            smtp_allow_plaintext_auth=get("smtp_allow_plaintext_auth").lower() in {"1", "true", "yes"},
            mail_from=get("mail_from"),
            reminder_lead_days=tuple(sorted((int(d) for d in _split(get("reminder_lead_days"))), reverse=True)),
            hold_days=int(get("hold_days")),
            reorder_window_days=int(get("reorder_window_days")),
            notice_max_age_days=int(get("notice_max_age_days")),
            notice_daily_cap_per_recipient=int(get("notice_daily_cap_per_recipient")),
            deadletter_preview_bytes=_preview_bytes(get("deadletter_preview_bytes")),
            worker_store=get("worker_store"),
            worker_data_dir=get("worker_data_dir"),
            worker_standby_replicas=int(get("worker_standby_replicas")),
            worker_replication_factor=int(get("worker_replication_factor")),
            web_bind=get("web_bind"),
            web_port=int(get("web_port")),
            dashboard_port=int(get("dashboard_port")),
            dashboard_token=get("dashboard_token"),
            dashboard_https=get("dashboard_https").lower() in {"1", "true", "yes"},
            dashboard_session_hours=float(get("dashboard_session_hours")),
            dashboard_operator_token=get("dashboard_operator_token"),
            lag_window_seconds=_seconds("LIFECYCLE_LAG_WINDOW_SECONDS", get("lag_window_seconds")),
            lag_stopped_seconds=_seconds("LIFECYCLE_LAG_STOPPED_SECONDS", get("lag_stopped_seconds")),
            metrics_port=int(get("metrics_port")),
            database_admin_url=get("database_admin_url"),
            db_owner_role=get("db_owner_role"),
            db_app_role=get("db_app_role"),
            db_app_password=get("db_app_password"),
            db_readonly_role=get("db_readonly_role"),
            db_readonly_password=get("db_readonly_password"),
            store_batch_size=int(get("store_batch_size")),
            retry_max_seconds=float(get("retry_max_seconds")),
            scheduler_interval=float(get("scheduler_interval")),
            health_targets=_split(get("health_targets")),
            health_live_seconds=float(get("health_live_seconds")),
        )

    def policy(self) -> Policy:
        """The rules' policy these settings give: reminder lead days and the hold period."""
        return Policy.with_lead_days(self.reminder_lead_days, self.hold_days, self.reorder_window_days)

    def topic(self, suffix: str) -> str:
        """The full name of a topic under this deployment's prefix."""
        return f"{self.topic_prefix}.{suffix}"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"
