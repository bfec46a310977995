"""`lifecycle` run as a process of this tree's code, its standard streams as a test sets them, Kafka faked if asked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]

# emit's producer acknowledges each send at once; its topics exist.
FAKE_EMIT_KAFKA = """
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata, RecordMetadata
from lifecycle import emit

class Producer:
    def __init__(self, **config): pass
    def send(self, topic, key=None, value=None):
        future = FutureRecordMetadata(FutureProduceResult(None), 0, -1, None, None, None, -1)
        return future.success(RecordMetadata(topic, 0, None, 0, -1, None, 0, 0, 0))
    def flush(self, timeout=None): pass
    def close(self, timeout=None): pass

emit.KafkaProducer = Producer
emit.require_topics = lambda *args, **kwargs: None
"""

# `topics --check` finds one topic, as defined.
FAKE_TOPICS = """
from lifecycle import admin
admin.ensure_topics = lambda settings, create=True: [admin.TopicState("t.purchases", "ok")]
"""


def command(args: Sequence[str], setup: str = "") -> list[str]:
    """The command line: `setup` (Python, fakes) then `lifecycle ARGS` through the console script's main."""
    return [sys.executable, "-c", f"{setup}\nimport sys\nfrom lifecycle import cli\nsys.exit(cli.main({list(args)!r}))"]


def environment(home: Path) -> dict[str, str]:
    """A clean environment: this tree's packages, LIFECYCLE_HOME at `home`, no broker anyone answers at."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "LIFECYCLE_HOME": str(home)}


def closing(*fds: int) -> Callable[[], None]:
    """A preexec_fn that closes these descriptors of the child (`>&-`, `<&-`)."""

    def close() -> None:
        for fd in fds:
            os.close(fd)

    return close


def run(
    args: Sequence[str],
    home: Path,
    *,
    setup: str = "",
    stdout: int | IO[Any] = subprocess.PIPE,
    closed: Sequence[int] = (),
) -> subprocess.CompletedProcess[str]:
    """Run `lifecycle ARGS` to its end; standard error is captured as text."""
    return subprocess.run(
        command(args, setup),
        env=environment(home),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=closing(*closed) if closed else None,
    )


def run_into_closed_pipe(args: Sequence[str], home: Path, setup: str = "") -> tuple[int, str]:
    """Run `lifecycle ARGS` writing into a pipe nobody reads (the reader closed it, as `head` does); status, stderr."""
    with subprocess.Popen(
        command(args, setup),
        env=environment(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()
        err = process.stderr.read().decode()
        return process.wait(timeout=120), err


def finish(process: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    """The process's output once it ends; killed after `timeout` seconds, so a test fails rather than hangs."""
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
