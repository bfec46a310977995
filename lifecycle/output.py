"""Standard output as the command line writes it: a write that fails raises OutputError, told apart from the rest.

A closed pipe (the reader, `head` say, has what it wanted) ends the command quietly with status 141, what a
shell reports for a writer that SIGPIPE ended; any other failure (a full disk, a closed descriptor) is one line.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lifecycle.redact import redact

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

CLOSED_PIPE_STATUS = 128 + 13  # 128 + SIGPIPE: what a shell reports for `yes | head -1`'s writer


class OutputError(OSError):
    """A write to standard output that failed; `summary` is what the command had done, when that is what failed."""

    summary: str = ""


class _Descriptor(io.RawIOBase):
    """Standard output's descriptor (None: closed); after `discard()` writes go nowhere."""

    def __init__(self, fd: int | None) -> None:
        super().__init__()
        self._fd = fd
        self._discarding = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        if self._fd is None:
            raise io.UnsupportedOperation("standard output is closed")
        return self._fd

    def isatty(self) -> bool:
        return self._fd is not None and os.isatty(self._fd)

    def write(self, data: ReadableBuffer) -> int:
        if self._discarding:
            return memoryview(data).nbytes
        if self._fd is None:
            raise OutputError(errno.EBADF, "it is closed")
        try:
            return os.write(self._fd, data)
        except OSError as exc:
            raise OutputError(exc.errno, exc.strerror) from None

    def discard(self) -> None:
        """Let what is still buffered go nowhere: a stream that failed once is not written to again."""
        self._discarding = True


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """sys.stdout whose failed writes raise OutputError; what it holds at the end is dropped (flush it before)."""
    original = sys.stdout
    if original is not sys.__stdout__:  # already replaced (a test's capture): leave it as it is
        yield
        return
    descriptor = _Descriptor(None if original is None else original.fileno())
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(descriptor),
        encoding=original.encoding if original else "utf-8",
        errors=original.errors if original else "strict",
        line_buffering=original.line_buffering if original else False,
        write_through=original.write_through if original else False,
    )
    try:
        yield
    finally:
        descriptor.discard()
        sys.stdout = original


def print_summary(text: str) -> None:
    """Print what a command did on standard output; if that fails, the OutputError carries it to standard error."""
    try:
        print(text, flush=True)
    except OutputError as exc:
        exc.summary = text
        raise


def output_failed(command: str, exc: OutputError) -> int:
    """Say in one line on standard error how standard output failed (a closed pipe: nothing), and the exit status."""
    if exc.errno == errno.EPIPE:
        if exc.summary:  # what was done must not be lost with the pipe
            print(redact(f"lifecycle {command}: {exc.summary} (standard output was closed)"), file=sys.stderr)
        return CLOSED_PIPE_STATUS
    done = f"; {exc.summary}" if exc.summary else ""
    print(redact(f"lifecycle {command}: cannot write to standard output: {exc.strerror}{done}"), file=sys.stderr)
    return 2
