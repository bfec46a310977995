"""A scheduler sweeps only holding the sweep lock: without it the run is skipped with one INFO line, nothing read."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

import consumers.scheduler.command as command_module
from consumers.scheduler.lock import SWEEP_LOCK_KEY
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit


class LockConnection:
    """Answers pg_try_advisory_lock with `free`; keeps every statement and transaction end, in order."""

    def __init__(self, free: bool, holder: tuple[int, str, str, int] | None = None) -> None:
        self.free = free
        self.holder = holder  # what pg_locks and pg_stat_activity say of the session holding the lock
        self.log: list[str] = []
        self._last = ""

    def cursor(self) -> LockConnection:
        return self

    def __enter__(self) -> LockConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, statement: str, params: Any = None) -> None:
        self._last = statement
        if statement.startswith("SET tcp_keepalives"):
            self.log.append("SET keepalives")
        elif "FROM pg_locks" in statement:
            assert params == {"high": SWEEP_LOCK_KEY >> 32, "low": SWEEP_LOCK_KEY & 0xFFFF_FFFF}
            self.log.append("HOLDER")
        else:
            assert params == (SWEEP_LOCK_KEY,)
            self.log.append(statement)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.holder if "FROM pg_locks" in self._last else (self.free,)

    def rollback(self) -> None:
        self.log.append("ROLLBACK")

    def commit(self) -> None:
        self.log.append("COMMIT")

    def close(self) -> None:
        self.log.append("CLOSE")


def _sweep_once(monkeypatch: pytest.MonkeyPatch, connection: LockConnection, swept: list[str]) -> Any:
    def fake_sweep(*args: Any) -> str:
        swept.append("swept")
        connection.log.append("SWEEP")
        return "report"

    monkeypatch.setattr(command_module, "connect", lambda *args: connection)
    monkeypatch.setattr(command_module, "process_dsn", lambda *args: "")
    monkeypatch.setattr(command_module, "sweep", fake_sweep)
    return command_module.sweep_once(Settings(), cast(Any, None), cast(Any, None))


def test_a_scheduler_holding_the_lock_sweeps_then_lets_it_go(monkeypatch: pytest.MonkeyPatch) -> None:
    connection, swept = LockConnection(free=True), list[str]()
    assert _sweep_once(monkeypatch, connection, swept) == "report"
    assert connection.log == [
        "SET keepalives",  # a sweep whose client vanishes lets the lock go in about a minute, not two hours
        "COMMIT",  # kept for the session: the rollback after the lock would undo a SET in its transaction
        "SELECT pg_try_advisory_lock(%s)",
        "ROLLBACK",
        "SWEEP",
        "ROLLBACK",
        "SELECT pg_advisory_unlock(%s)",
        "COMMIT",
        "CLOSE",
    ]


def test_a_scheduler_finding_another_sweeping_skips_its_run_with_one_info_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    connection, swept = LockConnection(free=False, holder=(4242, "lifecycle-scheduler", "active", 2)), list[str]()
    with caplog.at_level(logging.INFO, logger="consumers.scheduler"):
        assert _sweep_once(monkeypatch, connection, swept) is None
    assert (swept, connection.log) == (
        [],
        ["SET keepalives", "COMMIT", "SELECT pg_try_advisory_lock(%s)", "ROLLBACK", "HOLDER", "ROLLBACK", "CLOSE"],
    )
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            logging.INFO,
            "another scheduler is sweeping this database (session 4242 (lifecycle-scheduler, active for 2 s)): "
            "this run is skipped",
        )
    ]


def test_a_lock_held_by_a_session_idle_past_any_sweep_is_a_warning_naming_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    connection = LockConnection(free=False, holder=(4242, "lifecycle-scheduler", "idle", 3600))
    with caplog.at_level(logging.INFO, logger="consumers.scheduler"):
        assert _sweep_once(monkeypatch, connection, []) is None
    ((level, message),) = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert level == logging.WARNING
    assert "session 4242 (lifecycle-scheduler, idle for 3600 s)" in message
    assert "pg_terminate_backend" in message
