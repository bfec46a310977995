"""`lifecycle up` hands each child process only its own secret settings, from one table."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from lifecycle.settings import SETTINGS, Settings
from lifecycle.up import PROCESSES, child_environment, database_environments, run_step
from lifecycle.up_children import CHILD_SECRETS, Children, own_secrets_only

SECRETS = {setting.env for setting in SETTINGS if setting.secret}
STEPS = ("topics", "db", "samples", "emit")  # the subcommands `lifecycle up` runs to completion
# Every secret setting set, each to a value of its own (tokens need 16 characters, DSNs a scheme).
FULL_ENVIRONMENT = {
    name: (f"postgresql://{name.lower()}@db.example/x" if name.endswith("_URL") else f"{name.lower()}-value")
    for name in SECRETS
} | {"PATH": "/usr/bin", "LIFECYCLE_TOPIC_PREFIX": "t1", "LIFECYCLE_SMTP_HOST": "mail.example"}


def _secrets_in(env: dict[str, str]) -> set[str]:
    return {name.upper() for name in env} & SECRETS


def test_every_secret_setting_is_placed_in_the_table_and_the_table_names_only_secret_settings() -> None:
    placed = set().union(*CHILD_SECRETS.values())
    assert SECRETS - placed == set(), "a new secret setting: give it to the children that read it in CHILD_SECRETS"
    assert placed - SECRETS == set()


def test_every_child_up_starts_has_a_row() -> None:
    assert set(CHILD_SECRETS) == {*PROCESSES, *STEPS}


@pytest.mark.parametrize("name", [*PROCESSES, *STEPS])
def test_each_child_keeps_its_own_secrets_and_every_other_setting(name: str) -> None:
    env = own_secrets_only(FULL_ENVIRONMENT, name)

    assert _secrets_in(env) == CHILD_SECRETS[name]
    assert env["PATH"] == "/usr/bin"
    assert env["LIFECYCLE_TOPIC_PREFIX"] == "t1"
    assert env["LIFECYCLE_SMTP_HOST"] == "mail.example"


def test_the_secrets_go_where_they_are_read_and_nowhere_else() -> None:
    admin = "LIFECYCLE_DATABASE_ADMIN_URL"
    assert [name for name in CHILD_SECRETS if admin in CHILD_SECRETS[name]] == ["db"]
    assert [name for name in CHILD_SECRETS if "LIFECYCLE_SMTP_PASSWORD" in CHILD_SECRETS[name]] == ["notifier"]
    assert [name for name in CHILD_SECRETS if "LIFECYCLE_DASHBOARD_TOKEN" in CHILD_SECRETS[name]] == ["dashboard"]
    assert "LIFECYCLE_DATABASE_URL" not in CHILD_SECRETS["dashboard"]
    assert CHILD_SECRETS["worker"] == {"LIFECYCLE_KAFKA_SASL_PASSWORD"}  # the processor reads no database


def test_a_child_reads_its_own_secrets_and_sees_every_other_one_empty() -> None:
    notifier = Settings.from_env(own_secrets_only(FULL_ENVIRONMENT, "notifier"))
    dashboard = Settings.from_env(own_secrets_only(FULL_ENVIRONMENT, "dashboard"))

    assert notifier.smtp_password.get_secret_value() == "lifecycle_smtp_password-value"
    assert notifier.database_url.get_secret_value() == FULL_ENVIRONMENT["LIFECYCLE_DATABASE_URL"]
    assert not notifier.dashboard_token
    assert not notifier.database_admin_url
    assert dashboard.dashboard_token.get_secret_value() == "lifecycle_dashboard_token-value"
    assert dashboard.database_readonly_url.get_secret_value() == FULL_ENVIRONMENT["LIFECYCLE_DATABASE_READONLY_URL"]
    assert not dashboard.smtp_password
    assert not dashboard.database_admin_url
    assert not dashboard.database_url


def test_a_secret_spelt_in_lower_case_is_removed_too() -> None:
    # Settings read the environment case-insensitively, so the filter compares names the same way.
    env = own_secrets_only({"lifecycle_smtp_password": "s3cret-value", "Lifecycle_Database_Admin_Url": "x"}, "worker")
    assert env == {}


def test_the_children_started_get_only_their_own_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: dict[str, dict[str, str]] = {}

    class FakePopen:
        pid = 4242

        def __init__(self, command: list[str], env: dict[str, str], **_options: Any) -> None:
            started[command[3]] = env

    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    children = Children(FULL_ENVIRONMENT, tmp_path, lambda _line: None, lambda _name: {})
    for name in PROCESSES:
        children.start(name)

    assert {name: _secrets_in(env) for name, env in started.items()} == {n: CHILD_SECRETS[n] for n in PROCESSES}


def test_the_steps_run_get_only_their_own_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ran: dict[str, dict[str, str]] = {}

    def fake_run(command: list[str], env: dict[str, str], **_options: Any) -> subprocess.CompletedProcess[bytes]:
        ran[command[3]] = env
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    for name in STEPS:
        run_step(FULL_ENVIRONMENT, tmp_path, name, name)

    assert {name: _secrets_in(env) for name, env in ran.items()} == {name: CHILD_SECRETS[name] for name in STEPS}


def test_on_the_local_stack_only_the_migration_gets_the_superuser(tmp_path: Path) -> None:
    settings = Settings.from_env({"LIFECYCLE_HOME": str(tmp_path), "LIFECYCLE_SMTP_PASSWORD": "smtp-secret"})
    base = {**FULL_ENVIRONMENT, **child_environment(settings, external=False, token="generated-token-0123")}
    base.pop("LIFECYCLE_DATABASE_URL")  # no DSN configured: each process gets the local role it needs
    own = database_environments(settings, external=False)

    envs = {name: own_secrets_only({**base, **own(name)}, name) for name in (*PROCESSES, "db")}

    assert [name for name, env in envs.items() if "postgresql://postgres@" in str(env)] == ["db"]
    assert [name for name, env in envs.items() if "generated-token-0123" in str(env)] == ["dashboard"]
    assert envs["dashboard"]["LIFECYCLE_DATABASE_READONLY_URL"].startswith("postgresql://lifecycle_readonly@")
    for process in ("store", "scheduler", "notifier"):  # each its own role, no other's DSN
        assert envs[process][f"LIFECYCLE_DATABASE_{process.upper()}_URL"].startswith(
            f"postgresql://lifecycle_{process}@"
        )
        assert envs[process]["LIFECYCLE_DATABASE_URL"] == ""
        assert [name for name, env in envs.items() if f"lifecycle_{process}@" in str(env)] == [process]


def test_only_the_migration_gets_the_passwords_of_the_roles() -> None:
    passwords = {"LIFECYCLE_DB_STORE_PASSWORD", "LIFECYCLE_DB_SCHEDULER_PASSWORD", "LIFECYCLE_DB_NOTIFIER_PASSWORD"}
    assert passwords | {"LIFECYCLE_DB_READONLY_PASSWORD"} <= CHILD_SECRETS["db"]
    assert [name for name in CHILD_SECRETS if passwords & CHILD_SECRETS[name]] == ["db"]
