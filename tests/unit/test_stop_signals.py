"""Every consumer stops the same way: SIGTERM or SIGINT calls its stop, once per signal, and logs which signal."""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator

import pytest

from consumers.signals import stop_on_signals


@pytest.fixture
def handlers_restored() -> Iterator[None]:
    """The test process's own handlers back afterwards (pytest's SIGINT handling included)."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_calls_stop_and_says_which(
    signum: signal.Signals, handlers_restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []
    stop_on_signals(lambda: calls.append("stop"))

    with caplog.at_level(logging.INFO, logger="consumers.signals"):
        signal.raise_signal(signum)

    assert calls == ["stop"]
    assert caplog.messages == [f"stopping on {signum.name}"]
