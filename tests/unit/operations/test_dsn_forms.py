"""`db status` and `db migrate` refuse a key=value DSN (yoyo reads URLs only) in one line, before connecting;
`stack` and `up` refuse a LIFECYCLE_HOME that is not a folder in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

import consumers.db as db_module
from lifecycle.cli import main
from lifecycle.settings import SETTINGS

KEY_VALUE = "host=127.0.0.1 port=15433 user=postgres dbname=lifecycle passfile=/nonexistent/pgpass"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env, raising=False)
    return monkeypatch


def _no_connection(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("connected before the DSN was checked")


@pytest.mark.parametrize(
    ("env", "action"),
    [
        ("LIFECYCLE_DATABASE_URL", "status"),
        ("LIFECYCLE_DATABASE_ADMIN_URL", "status"),
        ("LIFECYCLE_DATABASE_URL", "migrate"),
        ("LIFECYCLE_DATABASE_ADMIN_URL", "migrate"),
    ],
)
def test_a_key_value_dsn_for_the_migrations_is_one_line(
    env: str, action: str, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv(env, KEY_VALUE)
    clean_env.setattr(db_module, "connect", _no_connection)
    assert main(["db", action]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"lifecycle db: {env} must be a URL for the migrations (yoyo reads no key=value DSN): "
        "postgresql://user@host:port/database"
    ]


def test_a_postgres_url_is_read_as_postgresql() -> None:
    assert db_module.migration_url("postgres://u@h/d?x=postgres://") == "postgresql://u@h/d?x=postgres://"
    assert db_module.migration_url("postgresql://u@h/d") == "postgresql://u@h/d"


@pytest.mark.parametrize(
    ("home", "where"),
    [
        ("/dev/null", "is not a folder"),
        ("/dev/null/kafka", "lies under /dev/null, which is not a folder"),
    ],
)
@pytest.mark.parametrize("argv", [["stack", "status"], ["stack", "down"], ["up"]])
def test_a_home_that_is_not_a_folder_is_one_line(
    home: str, where: str, argv: list[str], clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("LIFECYCLE_HOME", home)
    clean_env.setattr("signal.signal", lambda *_args: None)  # `up` would hand this test process's signals over
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"lifecycle {argv[0]}: LIFECYCLE_HOME {home} {where}: point it at a folder, or at a path where one can be made"
    ]


def test_a_home_still_to_be_made_is_taken(tmp_path: Path) -> None:
    from lifecycle.stack.files import check_home

    check_home(tmp_path / "not" / "yet")
    check_home(tmp_path)
