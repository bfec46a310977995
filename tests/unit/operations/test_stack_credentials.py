"""The local stack's logins: generated passwords in a 0600 password file, DSNs without passwords, a role per process."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.database import admin_dsn, process_dsn
from lifecycle.dashboard.store_view import readonly_dsn
from lifecycle.settings import Settings
from lifecycle.stack.credentials import ensure_passwords, parse_passfile, passfile_path, process_environment
from lifecycle.up import database_environments

ROLES = {"postgres", "lifecycle_store", "lifecycle_scheduler", "lifecycle_notifier", "lifecycle_readonly"}
WRITERS = ("store", "scheduler", "notifier")


@pytest.fixture
def stack_settings(tmp_path: Path) -> Settings:
    """Settings of a local stack under a fresh home, no DSN configured."""
    return Settings.from_env({"LIFECYCLE_HOME": str(tmp_path / "my home"), "LIFECYCLE_PG_PORT": "25999"})


def test_the_passwords_are_generated_once_into_a_file_only_its_owner_reads(stack_settings: Settings) -> None:
    passwords = ensure_passwords(stack_settings)
    path = passfile_path(stack_settings)

    assert set(passwords) == ROLES
    assert len(set(passwords.values())) == len(ROLES)
    assert all(len(password) >= 32 for password in passwords.values())
    assert path.stat().st_mode & 0o777 == 0o600
    assert parse_passfile(path.read_text()) == passwords
    assert "*:*:*:lifecycle_store:" + passwords["lifecycle_store"] in path.read_text().splitlines()
    assert ensure_passwords(stack_settings) == passwords


def test_a_widened_file_is_made_private_again_and_a_missing_role_gets_a_password(stack_settings: Settings) -> None:
    path = passfile_path(stack_settings)
    path.parent.mkdir(parents=True)
    path.write_text("# kept\n*:*:*:postgres:kept-password\n")
    path.chmod(0o644)

    passwords = ensure_passwords(stack_settings)

    assert passwords["postgres"] == "kept-password"
    assert all(len(passwords[role]) >= 32 for role in ROLES - {"postgres"})
    assert path.stat().st_mode & 0o777 == 0o600


def test_with_no_dsn_set_each_process_finds_its_own_role_on_the_local_stack(stack_settings: Settings) -> None:
    passfile = "passfile=" + str(passfile_path(stack_settings)).replace(" ", "%20")

    writers = [process_dsn(stack_settings, process) for process in WRITERS]

    for process, dsn in zip(WRITERS, writers, strict=True):
        assert dsn.startswith(f"postgresql://lifecycle_{process}@127.0.0.1:25999/lifecycle?")
    assert readonly_dsn(stack_settings).startswith("postgresql://lifecycle_readonly@127.0.0.1:25999/lifecycle?")
    assert admin_dsn(stack_settings).startswith("postgresql://postgres@127.0.0.1:25999/lifecycle?")
    for dsn in (*writers, readonly_dsn(stack_settings), admin_dsn(stack_settings)):
        assert dsn.endswith(passfile)
        assert ":" not in dsn.partition("://")[2].partition("@")[0]  # no password in the DSN


def test_a_configured_dsn_wins_over_the_local_stack(stack_settings: Settings) -> None:
    configured = Settings.from_env({"LIFECYCLE_DATABASE_URL": "postgresql://app@db.example/lifecycle"})

    assert (
        process_dsn(configured, "store")
        == admin_dsn(configured)
        == readonly_dsn(configured)
        == configured.database_url.get_secret_value()
    )
    assert database_environments(configured, external=False)("store") == {}
    assert database_environments(stack_settings, external=True)("dashboard") == {}


@pytest.mark.parametrize("process", ["store", "scheduler", "notifier"])
def test_each_consumer_gets_its_own_role_alone(stack_settings: Settings, process: str) -> None:
    env = database_environments(stack_settings, external=False)(process)

    own = f"LIFECYCLE_DATABASE_{process.upper()}_URL"
    assert env == {"LIFECYCLE_DATABASE_URL": "", own: process_dsn(stack_settings, process)}
    assert process_dsn(Settings.from_env(env), process) == process_dsn(stack_settings, process)
    others = [process_dsn(stack_settings, other) for other in WRITERS if other != process]
    assert env[own] not in others


def test_the_dashboard_gets_the_read_only_role_and_no_other_dsn(stack_settings: Settings) -> None:
    env = process_environment(stack_settings, "dashboard")

    assert env == {"LIFECYCLE_DATABASE_URL": "", "LIFECYCLE_DATABASE_READONLY_URL": readonly_dsn(stack_settings)}
    assert readonly_dsn(Settings.from_env(env)) == readonly_dsn(stack_settings)


def test_only_the_migration_gets_the_superuser_and_it_keeps_the_roles_passwords(stack_settings: Settings) -> None:
    env = process_environment(stack_settings, "db")

    assert env["LIFECYCLE_DATABASE_ADMIN_URL"].startswith("postgresql://postgres@")
    assert env["LIFECYCLE_DATABASE_URL"] == env["LIFECYCLE_DB_READONLY_PASSWORD"] == ""
    for process in WRITERS:
        assert env[f"LIFECYCLE_DB_{process.upper()}_PASSWORD"] == ""
    for process in ("worker", "topics", "emit", "store", "dashboard"):
        assert "postgresql://postgres@" not in str(process_environment(stack_settings, process))
