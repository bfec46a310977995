"""What the bench reads of a worker child from /proc: its CPU time and its peak resident memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streams.harness import WorkerProcess

# Holds 64 MiB resident, burns CPU for a moment, then waits to be read.
CHILD = (
    "import sys, time\n"
    "block = bytearray(64 * 1024 * 1024)\n"
    "block[::4096] = b'x' * len(block[::4096])\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end: pass\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_the_cpu_time_and_the_peak_memory_of_a_running_child_are_read(tmp_path: Path) -> None:
    worker = WorkerProcess({}, tmp_path, 0, tmp_path / "log")
    worker.process = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert worker.process.stdout is not None
        assert worker.process.stdout.readline() == b"ready\n"
        assert worker.cpu_seconds() >= 0.25
        assert 64 <= worker.peak_rss_mib() < 1024
    finally:
        worker.process.kill()
        worker.process.wait()
    assert worker.cpu_seconds() == 0.0
    assert worker.peak_rss_mib() == 0.0
