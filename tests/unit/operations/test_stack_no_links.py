"""The stack's files in the postgres user's folder are written without following a link planted there."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lifecycle.errors import UserError
from lifecycle.settings import Settings
from lifecycle.stack import postgres, postgres_logins
from lifecycle.stack.credentials import ensure_passwords, passfile_path
from lifecycle.stack.files import write_file

OUTSIDE = "a file elsewhere that must not change\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the folder, with its own mode, that a planted link points at."""
    path = tmp_path / "elsewhere" / "victim"
    path.parent.mkdir()
    path.write_text(OUTSIDE)
    path.chmod(0o644)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A stack home whose postgres folder exists (the one the postgres user owns when run as root)."""
    folder = tmp_path / "home"
    (folder / "postgres" / "data").mkdir(parents=True)
    return folder


def _untouched(victim: Path) -> None:
    assert victim.read_text() == OUTSIDE
    assert victim.stat().st_mode & 0o777 == 0o644


def _plant(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def test_a_link_in_place_of_the_file_is_replaced_not_followed(tmp_path: Path, victim: Path) -> None:
    path = tmp_path / "folder" / "file"
    _plant(path, victim)

    write_file(path, "new\n", 0o600)

    _untouched(victim)
    assert not path.is_symlink()
    assert path.read_text() == "new\n"
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_the_mode_is_exactly_the_one_asked_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        write_file(tmp_path / "a", "x", 0o600)
        write_file(tmp_path / "b", "x", 0o644)
    finally:
        os.umask(previous)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o644
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a", "b"]  # no partial file left behind


def test_a_link_in_place_of_the_folder_is_refused(tmp_path: Path, victim: Path) -> None:
    _plant(tmp_path / "folder", victim.parent)

    with pytest.raises(UserError, match="is a symbolic link, not a folder"):
        write_file(tmp_path / "folder" / "victim", "new\n")

    _untouched(victim)
    assert sorted(path.name for path in victim.parent.iterdir()) == ["victim"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_the_owner_is_set_on_the_new_file(tmp_path: Path) -> None:
    write_file(tmp_path / "file", "x", 0o600, (65534, 65534))

    assert (tmp_path / "file").stat().st_uid == 65534


def test_the_password_file_replaces_links_at_its_name_and_its_old_temporary_name(home: Path, victim: Path) -> None:
    settings = Settings.from_env({"LIFECYCLE_HOME": str(home)})
    path = passfile_path(settings)
    _plant(path.with_name(f".{path.name}.{os.getpid()}"), victim)  # the fixed temporary name of older versions
    _plant(path, victim)

    passwords = ensure_passwords(settings)

    _untouched(victim)
    assert not path.is_symlink()
    assert path.stat().st_mode & 0o777 == 0o600
    assert f"*:*:*:postgres:{passwords['postgres']}" in path.read_text().splitlines()


def test_the_initdb_password_file_is_written_beside_a_planted_link_and_removed(
    monkeypatch: pytest.MonkeyPatch, home: Path, victim: Path
) -> None:
    paths = postgres.PostgresPaths(home / "postgres")
    _plant(paths.root / ".initdb-password", victim)
    _plant(paths.root / f"..initdb-password.{os.getpid()}", victim)  # the fixed temporary name of older versions
    seen: list[str] = []

    def fake_run(command: list[str], what: str) -> None:
        seen.append(Path(command[-1].removeprefix("--pwfile=")).read_text())

    monkeypatch.setattr(postgres, "postgres_owner", lambda: None)
    monkeypatch.setattr(postgres, "_run", fake_run)
    postgres._initdb(Path("/usr/lib/postgresql/16/bin"), paths, "superuser-password")

    _untouched(victim)
    assert seen == ["superuser-password\n"]
    assert not (paths.root / ".initdb-password").exists()


def test_the_pid_file_and_the_socket_folder_do_not_follow_planted_links(
    monkeypatch: pytest.MonkeyPatch, home: Path, victim: Path
) -> None:
    settings = Settings.from_env({"LIFECYCLE_HOME": str(home)})
    paths = postgres.postgres_paths(settings)
    _plant(paths.pid_file, victim)
    _plant(paths.socket_dir, victim.parent)
    (paths.data / "PG_VERSION").write_text("16\n")
    owner = (65534, 65534) if os.geteuid() == 0 else None  # as root, the folders are handed to another user
    folder_owner = victim.parent.stat().st_uid
    monkeypatch.setattr(postgres, "postgres_owner", lambda: owner)
    monkeypatch.setattr(postgres, "running_pid", lambda _file, _marker: None)
    monkeypatch.setattr(postgres, "port_open", lambda _host, _port: False)
    monkeypatch.setattr(postgres, "install_postgres", lambda _say: Path("/usr/lib/postgresql/16/bin"))
    monkeypatch.setattr(subprocess, "run", lambda *_args, **_options: subprocess.CompletedProcess([], 0))
    monkeypatch.setattr(postgres, "_run", lambda _command, _what: None)
    monkeypatch.setattr(postgres, "read_pid", lambda _file: 4242)
    monkeypatch.setattr(postgres, "require_passwords", lambda *_args: None)
    monkeypatch.setattr(postgres, "create_database_and_roles", lambda *_args: None)

    postgres.start_postgres(settings, lambda _line: None)

    _untouched(victim)
    assert victim.parent.stat().st_uid == folder_owner
    assert not paths.pid_file.is_symlink()
    assert paths.pid_file.read_text() == "4242\n"


def test_pg_hba_conf_replaces_a_planted_link(monkeypatch: pytest.MonkeyPatch, home: Path, victim: Path) -> None:
    settings = Settings.from_env({"LIFECYCLE_HOME": str(home)})
    hba = postgres.postgres_paths(settings).hba
    _plant(hba, victim)
    statements: list[str] = []

    class FakeCursor:
        def __enter__(self) -> FakeCursor:
            return self

        def __exit__(self, *_exc: object) -> None:
            return None

        def execute(self, statement: str, _params: Any = None) -> None:
            statements.append(statement)

    class FakeConnection:
        def cursor(self) -> FakeCursor:
            return FakeCursor()

        def close(self) -> None:
            return None

    monkeypatch.setattr(postgres_logins, "connect_admin", lambda _settings, _database: FakeConnection())
    monkeypatch.setattr(postgres_logins, "encrypt_password", lambda *_args: "SCRAM-SHA-256$verifier")

    postgres_logins.require_passwords(settings, hba, "superuser-password", None)

    _untouched(victim)
    assert not hba.is_symlink()
    assert hba.read_text() == postgres_logins.HBA
    assert hba.stat().st_mode & 0o777 == 0o600
    assert statements[-1] == "SELECT pg_reload_conf()"
