"""The child processes `lifecycle up` starts: one `lifecycle <name>` each, logged to a file, stopped in reverse."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from lifecycle.errors import UserError

STOP_TIMEOUT_S = 20.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies, so a killed `up` leaves nothing behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.setsid()


class Children:
    """Starts, watches and stops the pipeline's processes."""

    def __init__(
        self,
        env: dict[str, str],
        logs: Path,
        say: Callable[[str], None],
        own_env: Callable[[str], dict[str, str]] = lambda _name: {},
    ) -> None:
        self.env = env
        self.logs = logs
        self.say = say
        self.own_env = own_env  # what one child gets on top of `env`: its database role
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        """Start `lifecycle <name> [args]` with output to logs/<name>.log."""
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "lifecycle.cli", name, *args],
                env={**self.env, **self.own_env(name)},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl and setsid, no locks taken
            )
        self.running[name] = process
        self.say(f"started {name} (pid {process.pid}), log {log_path}")

    def check(self) -> None:
        """Raise when a child has exited on its own."""
        for name, process in self.running.items():
            code = process.poll()
            if code is not None:
                log_path = self.logs / f"{name}.log"
                last = log_path.read_text(errors="replace").strip().splitlines()[-8:]
                raise UserError(f"{name} exited with {code}; the end of {log_path}:\n  " + "\n  ".join(last))

    def stop_all(self) -> None:
        """SIGTERM every child in reverse start order, SIGKILL any still alive after STOP_TIMEOUT_S."""
        for process in reversed(list(self.running.values())):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(list(self.running.items())):
            try:
                code = process.wait(timeout=STOP_TIMEOUT_S)
                self.say(f"stopped {name} (exit {code})")
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                self.say(f"killed {name}: it did not stop within {STOP_TIMEOUT_S:.0f}s")
        self.running.clear()
