"""A worker that cannot go on leaves at once, with a non-zero code and one line saying why.

Nothing is committed on the way out: a supervisor starts the worker again and it reads from its last commit,
as after a kill -9. This replaces faust's own way out of a crash (leaving the group, then waiting on its
services), which can hang in "Stopping…" for minutes while the web port still answers.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn

log = logging.getLogger(__name__)

EXIT_CODE = 3  # the worker stopped itself: the supervisor's cue to start it again
WATCH_SECONDS = 0.5


def one_line(error: BaseException | str) -> str:
    """An error (or text) as one line: its type and first line."""
    if isinstance(error, str):
        return " ".join(error.split())
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def stop_worker(reason: str) -> NoReturn:
    """Leave the process now with EXIT_CODE, after one line on stderr (and the log) naming `reason`."""
    line = one_line(reason)
    log.critical("worker stopped: %s", line)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.write(f"lifecycle worker: stopped: {line}\n")
    sys.stderr.flush()
    os._exit(EXIT_CODE)


class CrashWatch(threading.Thread):
    """Stops the worker as soon as one of faust's services has crashed (checked from a thread of its own)."""

    def __init__(self, crash_reason: Callable[[], BaseException | None], stop: Callable[[str], None] = stop_worker):
        super().__init__(name="crash-watch", daemon=True)
        self._crash_reason = crash_reason
        self._stop_worker = stop
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(WATCH_SECONDS):
            reason = self._crash_reason()
            if reason is not None:
                self._stop_worker(f"a faust service crashed: {one_line(reason)}")
                return

    def close(self) -> None:
        self._done.set()


def watch(crash_reason: Callable[[], BaseException | None]) -> CrashWatch:
    """Start a CrashWatch over `crash_reason` (the worker's and its app's `crash_reason`)."""
    watcher = CrashWatch(crash_reason)
    watcher.start()
    return watcher
