"""The JSON-lines input of `emit` and `replay`: a file or standard input, whose problems are one line each.

Both read lines alike: ended by `\n`, `\r\n` or `\r`, blank ones counted, a leading UTF-8 byte order mark dropped.
A line longer than MAX_LINE_BYTES is never read whole: it comes as a LongLine, for the caller to refuse.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import IO

from lifecycle.errors import UserError
from lifecycle.topics import MAX_MESSAGE_BYTES

# No event is longer: a record's value is at most a topic's max.message.bytes, and an event's fields are bounded
# far below it; a longer line (a file with no line ends, /dev/zero) would otherwise be held whole in memory.
MAX_LINE_BYTES = MAX_MESSAGE_BYTES


class LongLine:
    """A line longer than MAX_LINE_BYTES, refused unread: str() is the reason."""

    def __str__(self) -> str:
        return f"longer than {MAX_LINE_BYTES:,} bytes, the largest message a topic takes"


def shown(path: str) -> str:
    """A file name as messages show it: quoted, with control characters escaped (an empty name stays visible)."""
    return repr(path)


@contextmanager
def open_input(path: str) -> Iterator[Iterator[str | LongLine]]:
    """The lines of the named UTF-8 file (`-`: standard input); an unreadable or non-UTF-8 file is a UserError."""
    name = _name(path)
    with _opened(path, name) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline=None)  # universal newlines: \r\n and \r end lines
        try:
            yield _without_bom(_lines(name, text, utf8=True), "\ufeff")
        finally:
            text.detach()  # the file is closed by _opened (standard input is left open)


@contextmanager
def open_input_bytes(path: str) -> Iterator[Iterator[bytes | LongLine]]:
    """The lines of the named file, or of standard input for `-`, as bytes: the caller judges each line's text."""
    name = _name(path)
    with _opened(path, name) as binary:
        text = io.TextIOWrapper(binary, encoding="latin-1", newline=None)  # one character a byte, any byte
        try:
            yield _as_bytes(_without_bom(_lines(name, text, utf8=False), "\xef\xbb\xbf"))
        finally:
            text.detach()


def _name(path: str) -> str:
    return "standard input" if path == "-" else shown(path)


def _opened(path: str, name: str) -> AbstractContextManager[IO[bytes]]:
    """The open file, binary (standard input is left open); a file that cannot be opened is a UserError."""
    if path == "-":
        if sys.stdin is None:  # started with its standard input closed (`<&-`)
            raise UserError("cannot read standard input: it is closed; pass the events in a file, or pipe them in")
        return nullcontext(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except OSError as exc:  # missing, a folder, no permission, a name too long, a file taken for a folder, ...
        raise _unreadable(name, exc) from None


def _lines(name: str, handle: IO[str], utf8: bool) -> Iterator[str | LongLine]:
    """The handle's lines, each read at most MAX_LINE_BYTES long; a failing read is a UserError naming the file."""
    while line := _read(name, handle):
        if _too_long(line, utf8):
            yield LongLine()
            while line and not line.endswith("\n"):  # the rest of it, skipped a piece at a time
                line = _read(name, handle)
        else:
            yield line


def _read(name: str, handle: IO[str]) -> str:
    """The next line, or as much of it as is longer than the limit ("" at the end)."""
    try:
        return handle.readline(MAX_LINE_BYTES + 1)
    except OSError as exc:
        raise _unreadable(name, exc) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not UTF-8 text ({exc.reason}): pass a JSON-lines file") from None


def _too_long(line: str, utf8: bool) -> bool:
    """Whether the line, without its end, holds more than MAX_LINE_BYTES bytes (a UTF-8 character is up to 4)."""
    size = len(line) - line.endswith("\n")
    if size > MAX_LINE_BYTES:
        return True
    return utf8 and size > MAX_LINE_BYTES // 4 and len(line.encode()) - line.endswith("\n") > MAX_LINE_BYTES


def _as_bytes(lines: Iterator[str | LongLine]) -> Iterator[bytes | LongLine]:
    """The lines read as Latin-1 (one character a byte) back as the bytes they were."""
    for line in lines:
        yield line if isinstance(line, LongLine) else line.encode("latin-1")


def _without_bom(lines: Iterator[str | LongLine], bom: str) -> Iterator[str | LongLine]:
    """The lines with a byte order mark at the start of the first one dropped (a file saved by a Windows editor)."""
    first = True
    for line in lines:
        yield line.removeprefix(bom) if first and isinstance(line, str) else line
        first = False


def _unreadable(name: str, exc: OSError) -> UserError:
    return UserError(f"cannot read {name}: {exc.strerror or exc}")
