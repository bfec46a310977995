"""The compose file and every deploy file name only known settings and real subcommands."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from deploy_files import DEPLOY, compose, compose_environment, compose_required, env_names_used

from consumers.database import admin_dsn, process_dsn, process_setting
from lifecycle.cli import SUBCOMMANDS
from lifecycle.dashboard.store_view import readonly_dsn
from lifecycle.db_logins import WRITERS, dsn_env, password_env, writer_role
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import SETTINGS, Settings

PROCESSES = ("worker", "store", "scheduler", "notifier", "dashboard")
# The settings holding a DSN: each service may have the one of its own only.
DSN_SETTINGS = {setting.env for setting in SETTINGS if re.fullmatch(r"LIFECYCLE_DATABASE_(\w+_)?URL", setting.env)}
LAB_OVERRIDE = "INSECURE_LAB_PGSSLMODE"
# Secrets the code reads only from the environment (no file setting): tolerated in a long-running service's
# environment until it has one (deploy/README.md, "Secret files").
ENVIRONMENT_ONLY_SECRETS = {"LIFECYCLE_KAFKA_SASL_PASSWORD", "LIFECYCLE_SMTP_PASSWORD", "LIFECYCLE_DASHBOARD_TOKEN"}


def test_every_lifecycle_variable_in_deploy_files_is_a_setting() -> None:
    known = {setting.env for setting in SETTINGS}
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
    known = {setting.env for setting in SETTINGS}
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
        settings = Settings.from_env(environment)
        # What the process connects with (and checks its rights on, consumers/privileges.py) is that DSN, and its
        # errors name that setting.
        assert process_dsn(settings, name) == environment[dsn_env(name)], name
        assert process_setting(settings, name) == dsn_env(name), name
        assert urlsplit(environment[dsn_env(name)]).username == writer_role(settings, name), name
        for other in set(WRITERS) - {name}:  # another process's DSN is nowhere in its environment
            assert process_dsn(settings, other) not in {dsn for _, _, dsn in _dsns()}, (name, other)
        assert password_env(name) in services["migrate"]["environment"], name
    assert "LIFECYCLE_DB_READONLY_PASSWORD" in services["migrate"]["environment"]


def test_the_dashboard_reads_as_the_read_only_role_and_only_migrate_has_the_superuser() -> None:
    dashboard = compose_environment("dashboard")
    assert set(dashboard) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_READONLY_URL"}
    settings = Settings.from_env(dashboard)
    assert readonly_dsn(settings) == dashboard["LIFECYCLE_DATABASE_READONLY_URL"]
    assert urlsplit(readonly_dsn(settings)).username == settings.db_readonly_role
    migrate = compose_environment("migrate")
    assert set(migrate) & DSN_SETTINGS == {"LIFECYCLE_DATABASE_ADMIN_URL"}
    assert admin_dsn(Settings.from_env(migrate)) == migrate["LIFECYCLE_DATABASE_ADMIN_URL"]
    for name in set(compose()["services"]) - {"migrate"}:
        environment = compose()["services"][name].get("environment", {})
        assert "LIFECYCLE_DATABASE_ADMIN_URL" not in environment, name
        assert not [variable for variable in environment if re.fullmatch(r"LIFECYCLE_DB_\w+_PASSWORD", variable)], name


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
def test_no_database_password_in_any_environment(name: str) -> None:
    service = compose()["services"][name]
    secrets_named = {
        variable
        for variable in service.get("environment", {})
        if re.search(r"PASSWORD|TOKEN|SECRET", variable) and not variable.endswith("_FILE")
    }
    if name == "migrate":  # `db migrate` reads the roles' passwords from the environment only (deploy/README.md)
        assert secrets_named == {password_env(writer) for writer in WRITERS} | {"LIFECYCLE_DB_READONLY_PASSWORD"}
    else:
        assert secrets_named <= ENVIRONMENT_ONLY_SECRETS, name


def test_every_secret_is_a_file_and_the_passfiles_live_in_the_secrets_folder() -> None:
    secrets = compose()["secrets"]
    assert all(set(secret) == {"file"} for secret in secrets.values())
    for name, secret in secrets.items():
        if name.startswith("pgpass_") or name == "postgres_password":
            assert secret["file"].startswith("${SECRETS_DIR:-./secrets}/"), name
            assert secret["file"].rsplit("/", 1)[1] in (DEPLOY / "README.md").read_text(), name
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
