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

    def __init__(self, free: bool) -> None:
        self.free = free
        self.log: list[str] = []

    def cursor(self) -> LockConnection:
        return self

    def __enter__(self) -> LockConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, statement: str, params: tuple[int]) -> None:
        assert params == (SWEEP_LOCK_KEY,)
        self.log.append(statement)

    def fetchone(self) -> tuple[bool]:
        return (self.free,)

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
    connection, swept = LockConnection(free=False), list[str]()
    with caplog.at_level(logging.INFO, logger="consumers.scheduler"):
        assert _sweep_once(monkeypatch, connection, swept) is None
    assert (swept, connection.log) == ([], ["SELECT pg_try_advisory_lock(%s)", "ROLLBACK", "CLOSE"])
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "another scheduler is sweeping this database: this run is skipped")
    ]
