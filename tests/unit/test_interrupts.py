"""The stop signals as Interrupted: the handlers before are back afterwards, and an ignored signal stays ignored."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from lifecycle.interrupts import Interrupted, Interrupts, interrupts


@pytest.fixture
def handlers_restored() -> Iterator[None]:
    """The test process's own handlers back afterwards (pytest's SIGINT handling included)."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


def test_a_signal_ignored_from_the_start_stays_ignored_and_the_other_raises(handlers_restored: None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell without job control starts a background job
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with interrupts():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        signal.raise_signal(signal.SIGINT)  # ignored: nothing happens
        with pytest.raises(Interrupted, match=r"^interrupted by SIGTERM$") as raised:
            signal.raise_signal(signal.SIGTERM)
    assert raised.value.status == 143
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def _step(held: Interrupts, steps: list[str], *signums: signal.Signals) -> None:
    """A whole step that raises these signals, then says it finished."""
    with held.whole():
        for signum in signums:
            signal.raise_signal(signum)
        steps.append("finished")


def test_a_first_signal_waits_for_the_end_of_a_whole_step_and_a_second_does_not(handlers_restored: None) -> None:
    steps: list[str] = []
    with interrupts() as held:
        with pytest.raises(Interrupted, match="SIGINT"):
            _step(held, steps, signal.SIGINT)
        with pytest.raises(Interrupted, match="SIGTERM"):
            _step(held, steps, signal.SIGINT, signal.SIGTERM)
    assert steps == ["finished"]
