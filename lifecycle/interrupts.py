"""SIGINT and SIGTERM as an exception a command can handle where it stands: Interrupted, held back inside a step
that must finish whole (a second signal there does not wait)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """A stop signal arrived; the message says what was done and how to go on, the status is 128 + the signal."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(message or f"interrupted by {self.name}")

    @property
    def status(self) -> int:
        """The exit status a shell reports for a process this signal ended."""
        return 128 + self.signum


class Interrupts:
    """The stop signals while installed: Interrupted at once, or at the end of a `whole()` step."""

    def __init__(self) -> None:
        self.pending = 0  # a signal that arrived during a step, raised when it ends
        self._in_step = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        """The signal handler: raise now, unless a step is under way and this is the first signal during it."""
        if self._in_step and not self.pending:
            self.pending = signum
            return
        self.pending = 0
        raise Interrupted(signum)

    @contextmanager
    def whole(self) -> Iterator[None]:
        """A step a first signal does not cut: it is raised as Interrupted when the step ends."""
        self._in_step = True
        try:
            yield
        finally:
            self._in_step = False
        if self.pending:
            signum, self.pending = self.pending, 0
            raise Interrupted(signum)


@contextmanager
def interrupts() -> Iterator[Interrupts]:
    """SIGINT and SIGTERM raise Interrupted within the block (in the main thread only: elsewhere nothing changes)."""
    handling = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield handling
        return
    # A signal ignored from the start (a background job of a shell without job control: SIGINT) stays ignored.
    ignored = {signum for signum in STOP_SIGNALS if signal.getsignal(signum) is signal.SIG_IGN}
    before = {signum: signal.signal(signum, handling.handle) for signum in STOP_SIGNALS if signum not in ignored}
    try:
        yield handling
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
