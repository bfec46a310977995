"""The compose file and every deploy file name only known settings and real subcommands."""

from __future__ import annotations

from deploy_files import compose, env_names_used

from lifecycle.cli import SUBCOMMANDS
from lifecycle.metrics import COMPONENT_PORT_OFFSETS
from lifecycle.settings import SETTINGS

PROCESSES = ("worker", "store", "scheduler", "notifier", "dashboard")


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
        if "command" in service:
            assert service["command"][0] in SUBCOMMANDS


def test_compose_environment_uses_known_settings_and_shows_security_options() -> None:
    known = {setting.env for setting in SETTINGS}
    environment = compose()["services"]["worker"]["environment"]
    assert set(environment) <= known
    assert {"LIFECYCLE_KAFKA_SECURITY_PROTOCOL", "LIFECYCLE_KAFKA_SASL_USERNAME", "LIFECYCLE_KAFKA_SSL_CAFILE"} <= set(
        environment
    )
    assert "LIFECYCLE_DATABASE_URL" not in environment  # the worker reads no database


def test_each_process_that_writes_rows_logs_in_as_its_own_role_and_the_migration_sets_every_password() -> None:
    services = compose()["services"]
    for name in ("store", "scheduler", "notifier"):
        dsn = services[name]["environment"]["LIFECYCLE_DATABASE_URL"]
        assert dsn.startswith(f"postgresql://lifecycle_{name}:${{LIFECYCLE_DB_{name.upper()}_PASSWORD:?"), name
        assert "sslmode=" in dsn
        assert f"LIFECYCLE_DB_{name.upper()}_PASSWORD" in services["migrate"]["environment"]
    assert "LIFECYCLE_DATABASE_URL" not in services["dashboard"]["environment"]


def test_dashboard_is_published_on_loopback_and_checks_each_process_port() -> None:
    dashboard = compose()["services"]["dashboard"]
    assert all(port.startswith("127.0.0.1:") for port in dashboard["ports"])
    targets = dict(pair.split("=", 1) for pair in dashboard["environment"]["LIFECYCLE_HEALTH_TARGETS"].split(","))
    base = int(compose()["services"]["worker"]["environment"]["LIFECYCLE_METRICS_PORT"])
    for name, url in targets.items():
        assert url == f"http://{name}:{base + COMPONENT_PORT_OFFSETS[name]}"
