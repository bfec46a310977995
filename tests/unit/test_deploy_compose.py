"""The compose file and every deploy file name only known settings and real subcommands."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from deploy_files import (
    DEPLOY,
    compose,
    compose_environment,
    compose_required,
    compose_secret_files,
    env_names_used,
    secret_setting_of,
)

from consumers.database import admin_dsn, process_dsn, process_setting
from lifecycle.cli import SUBCOMMANDS
from lifecycle.dashboard.store_view import readonly_dsn
from lifecycle.db_logins import WRITERS, dsn_env, password_env, writer_role
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.redact import SECRET_SETTINGS
from lifecycle.settings import SETTINGS, Settings

PROCESSES = ("worker", "store", "scheduler", "notifier", "dashboard")
# The settings holding a DSN: each service may have the one of its own only.
DSN_SETTINGS = {setting.env for setting in SETTINGS if re.fullmatch(r"LIFECYCLE_DATABASE_(\w+_)?URL", setting.env)}
LAB_OVERRIDE = "INSECURE_LAB_PGSSLMODE"
# The one kind of secret setting left as a value in compose.yaml: a DSN with no password in it (the password is in
# the passfile it names), which compose writes with the lab's sslmode override (deploy/README.md, "Secret files").
PASSWORDLESS_DSNS = DSN_SETTINGS
# Which service reads which secret file: every one is mounted into exactly these (the passfiles are checked below).
SECRET_FILE_READERS = {
    "kafka_sasl_password": {"topics", *PROCESSES},
    "smtp_password": {"notifier"},
    "dashboard_token": {"dashboard"},
    **{f"db_{role}_password": {"migrate"} for role in ("store", "scheduler", "notifier", "readonly")},
}


def _settings(environment: dict[str, str]) -> Settings:
    """A service's settings read through the code, without its secret files (they exist in its container only)."""
    return Settings.from_env({name: value for name, value in environment.items() if not name.endswith("_FILE")})


def test_every_lifecycle_variable_in_deploy_files_is_a_setting() -> None:
    # A setting, or the file of a secret setting (lifecycle/settings_files.py).
    known = {setting.env for setting in SETTINGS} | {f"{setting}_FILE" for setting in SECRET_SETTINGS}
    unknown = {path: sorted(names - known) for path, names in env_names_used().items() if names - known}
    assert unknown == {}


def test_compose_runs_the_broker_database_mail_catcher_and_every_process() -> None:
    services = compose()["services"]
    assert {"kafka", "postgres", "mailpit", *PROCESSES} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:4")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for name in PROCESSES:
        assert services[name]["command"] == [name]
    for service in services.values():
        if service["image"].startswith("subscription-lifecycle:"):
            assert service["command"][0] in SUBCOMMANDS


def test_compose_environment_uses_known_settings_and_shows_security_options() -> None:
    known = {setting.env for setting in SETTINGS} | {f"{setting}_FILE" for setting in SECRET_SETTINGS}
    environment = compose()["services"]["worker"]["environment"]
    assert set(environment) <= known
    assert {"LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "LIFECYCLE_KAFKA_SASL_USERNAME", "LIFECYCLE_KAFKA_SSL_CAFILE"} <= set(
        environment
    )
    assert "LIFECYCLE_DATABASE_URL" not in environment  # the worker reads no database


def _dsns(environ: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(service, setting, DSN) of every PostgreSQL DSN in compose.yaml, interpolated."""
    found = []
    for name in compose()["services"]:
        for setting, value in compose_environment(name, environ).items():
            if value.startswith(("postgresql://", "postgres://")):
                found.append((name, setting, value))
    return found


def test_each_process_that_writes_rows_logs_in_as_its_own_role_under_its_own_setting() -> None:
    services = compose()["services"]
    for name in WRITERS:
        environment = compose_environment(name)
        assert set(environment) & DSN_SETTINGS == {dsn_env(name)}, name  # not LIFECYCLE_DATABASE_URL, no other's
        settings = _settings(environment)
        # What the process connects with (and checks its rights on, consumers/privileges.py) is that DSN, and its
        # errors name that setting.
        assert process_dsn(settings, name) == environment[dsn_env(name)], name
        assert process_setting(settings, name) == dsn_env(name), name
        assert urlsplit(environment[dsn_env(name)]).username == writer_role(settings, name), name
        for other in set(WRITERS) - {name}:  # another process's DSN is nowhere in its environment
            assert process_dsn(settings, other) not in {dsn for _, _, dsn in _dsns()}, (name, other)
        assert f"{password_env(name)}_FILE" in services["migrate"]["environment"], name
    assert "LIFECYCLE_DB_READONLY_PASSWORD_FILE" in services["migrate"]["environment"]


def test_the_dashboard_reads_as_the_read_only_role_and_only_migrate_has_the_superuser() -> None:
    dashboard = compose_environment("dashboard")
    assert set(dashboard) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_READONLY_URL"}
    settings = _settings(dashboard)
    assert readonly_dsn(settings) == dashboard["LIFECYCLE_DATABASE_READONLY_URL"]
    assert urlsplit(readonly_dsn(settings)).username == settings.db_readonly_role
    migrate = compose_environment("migrate")
    assert set(migrate) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_ADMIN_URL"}
    assert admin_dsn(_settings(migrate)) == migrate["LIFECYCLE_DATABASE_ADMIN_URL"]
    for name in set(compose()["services"]) - {"migrate"}:
        environment = compose()["services"][name].get("environment", {})
        assert "LIFECYCLE_DATABASE_ADMIN_URL" not in environment, name
        assert not [variable for variable in environment if re.match(r"LIFECYCLE_DB_\w+_PASSWORD", variable)], name


def test_every_dsn_verifies_the_server_with_the_ca_and_reads_its_password_from_its_own_passfile() -> None:
    services = compose()["services"]
    dsns = _dsns()
    assert {service for service, _, _ in dsns} == {*WRITERS, "dashboard", "migrate"}
    passfiles = []
    for service, setting, dsn in dsns:
        url = urlsplit(dsn)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        assert url.password is None, (service, setting)  # no password in the environment
        assert query["sslmode"] == "verify-full", (service, setting)
        assert query["sslrootcert"] == "/run/secrets/postgres_ca", (service, setting)
        assert "postgres_ca" in services[service]["secrets"], service
        secret = query["passfile"].removeprefix("/run/secrets/")
        assert secret.startswith("pgpass_"), (service, setting)
        assert secret in services[service]["secrets"], (service, setting)
        passfiles.append(secret)
    assert len(passfiles) == len(set(passfiles))  # one passfile per login
    for name, service in services.items():  # and only its own service mounts it
        assert len(set(service.get("secrets", [])) & set(passfiles)) <= 1, name
    for name in ("worker", "topics"):  # no database at all
        assert not {"postgres_ca", *passfiles} & set(services[name]["secrets"]), name


def test_no_sslmode_but_verify_full_by_default_and_the_lab_override_is_explicit() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert set(re.findall(r"sslmode=([^&\s]+)", text)) == {f"${{{LAB_OVERRIDE}:-verify-full}}"}
    assert "${PGSSLMODE" not in text  # a shell's PGSSLMODE (psql's) never weakens it
    lab = {**compose_required(), LAB_OVERRIDE: "disable"}
    assert {parse_qs(urlsplit(dsn).query)["sslmode"][0] for _, _, dsn in _dsns(lab)} == {"disable"}
    readme = (DEPLOY / "README.md").read_text()
    assert f"{LAB_OVERRIDE}=disable" in readme
    assert "POSTGRES_TLS=off" in readme


def test_the_bundled_postgres_serves_tls_and_takes_its_password_from_a_file() -> None:
    postgres = compose()["services"]["postgres"]
    options = dict(option.split("=", 1) for option in postgres["command"][2::2])
    assert postgres["command"][1::2] == ["-c"] * len(options)
    assert options["ssl"] == "${POSTGRES_TLS:-on}"
    for option, secret in (("ssl_cert_file", "postgres_tls_cert"), ("ssl_key_file", "postgres_tls_key")):
        assert options[option] == f"/run/secrets/{secret}"
        assert secret in postgres["secrets"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert "postgres_password" in postgres["secrets"]


@pytest.mark.parametrize("name", sorted(compose()["services"]))
def test_no_secret_value_in_any_environment_but_passwordless_dsns(name: str) -> None:
    environment = compose_environment(name)
    for variable, value in environment.items():
        setting = secret_setting_of(variable)
        if variable.endswith("_FILE"):
            continue  # a file's path; that it is a secret's file: test_each_secret_file_is_mounted_only_where_read
        if setting is None:  # not a secret setting: nor anything else named like a secret (POSTGRES_PASSWORD, ...)
            assert not re.search(r"PASSWORD|TOKEN|SECRET", variable), (name, variable)
            continue
        # The exception: a DSN that names its passfile and carries no password (deploy/README.md, "Secret files").
        assert setting in PASSWORDLESS_DSNS, (name, variable)
        assert urlsplit(value).password is None, (name, variable)
        assert "passfile" in parse_qs(urlsplit(value).query), (name, variable)


def test_every_secret_setting_but_the_dsns_is_read_from_a_file_in_every_service_that_sets_it() -> None:
    by_value = {secret_setting_of(variable) for name in compose()["services"] for variable in compose_environment(name)}
    by_file = {setting for name in compose()["services"] for setting in compose_secret_files(name)}
    assert by_value - by_file - {None} <= PASSWORDLESS_DSNS
    # Kafka's, the SMTP login's, the dashboard's and the roles' passwords come from files, and each is a secret setting.
    assert (
        {
            "LIFECYCLE_KAFKA_SASL_PASSWORD",
            "LIFECYCLE_SMTP_PASSWORD",
            "LIFECYCLE_DASHBOARD_TOKEN",
            *(password_env(writer) for writer in WRITERS),
            "LIFECYCLE_DB_READONLY_PASSWORD",
        }
        <= by_file
        <= set(SECRET_SETTINGS)
    )


def test_each_secret_file_is_mounted_only_where_read() -> None:
    services = compose()["services"]
    readers: dict[str, set[str]] = {}
    for name in services:
        for setting, secret in compose_secret_files(name).items():
            assert secret in services[name]["secrets"], (name, setting)
            readers.setdefault(secret, set()).add(name)
    assert readers == SECRET_FILE_READERS
    for name, service in services.items():  # no service mounts a secret file it does not read
        assert not {secret for secret in service.get("secrets", []) if secret in readers} - {
            secret for secret, names in readers.items() if name in names
        }, name
    # Each setting has one file of its own: no two settings share a secret.
    assert len({secret for name in services for secret in compose_secret_files(name).values()}) == len(readers)


@pytest.mark.parametrize("name", ["migrate", "notifier", "dashboard", "worker"])
def test_each_service_reads_its_secrets_from_its_files(name: str, tmp_path: Path) -> None:
    """The settings read through the code, each `_FILE` pointing at a file written as deploy/README.md says."""
    environment = compose_environment(name)
    written: dict[str, str] = {}
    for setting, secret in compose_secret_files(name).items():
        value = f"{secret}-0123456789abcdef"
        (tmp_path / secret).write_text(value + "\n")  # `openssl rand -hex 24 > file` ends with a line end
        environment[f"{setting}_FILE"] = str(tmp_path / secret)
        written[setting] = value
    settings = Settings.from_env(environment)
    for setting, value in written.items():
        field = setting.removeprefix("LIFECYCLE_").lower()
        assert getattr(settings, field).get_secret_value() == value, (name, setting)


def test_every_secret_is_a_file_and_the_passfiles_live_in_the_secrets_folder() -> None:
    secrets = compose()["secrets"]
    assert all(set(secret) == {"file"} for secret in secrets.values())
    readme = (DEPLOY / "README.md").read_text()
    for name, secret in secrets.items():
        if name.startswith("pgpass_") or name in {"postgres_password", "dashboard_token"} or name.startswith("db_"):
            assert secret["file"].startswith("${SECRETS_DIR:-./secrets}/"), name
            assert f"`{secret['file'].rsplit('/', 1)[1]}`" in readme, name
        if name in {"kafka_sasl_password", "smtp_password"}:  # optional: empty unless the operator names a file
            variable = f"{name.upper()}_FILE"
            assert secret["file"] == f"${{{variable}:-/dev/null}}", name
            assert f"`{variable}`" in readme, name
    ignored = (DEPLOY / "secrets" / ".gitignore").read_text().splitlines()
    assert "*" in ignored  # the default folder's files are never committed
    assert "!.gitignore" in ignored


def test_dashboard_is_published_on_loopback_and_checks_each_process_port() -> None:
    dashboard = compose()["services"]["dashboard"]
    assert all(port.startswith("127.0.0.1:") for port in dashboard["ports"])
    targets = dict(pair.split("=", 1) for pair in dashboard["environment"]["LIFECYCLE_HEALTH_TARGETS"].split(","))
    base = int(compose()["services"]["worker"]["environment"]["LIFECYCLE_METRICS_PORT"])
    for name, url in targets.items():
        assert url == f"http://{name}:{base + COMPONENT_PORT_OFFSETS[name]}"
