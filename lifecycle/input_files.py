"""The JSON-lines input of `emit` and `replay`: a file or standard input, whose problems are one line each.

Both read lines alike: ended by `\n`, `\r\n` or `\r`, blank ones counted, a leading UTF-8 byte order mark dropped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any, AnyStr

from lifecycle.errors import UserError


@contextmanager
def open_input(path: str) -> Iterator[Iterator[str]]:
    """The lines of the named UTF-8 file (`-`: standard input); an unreadable or non-UTF-8 file is a UserError."""
    name = _name(path)
    with _opened(path, name, binary=False) as handle:  # text mode reads universal newlines
        yield _without_bom(_lines(name, handle), "\ufeff")


@contextmanager
def open_input_bytes(path: str) -> Iterator[Iterator[bytes]]:
    """The lines of the named file, or of standard input for `-`, as bytes: the caller judges each line's text."""
    name = _name(path)
    with _opened(path, name, binary=True) as handle:
        yield _split_lines(_without_bom(_lines(name, handle), b"\xef\xbb\xbf"))


def _name(path: str) -> str:
    return "standard input" if path == "-" else path


def _opened(path: str, name: str, binary: bool) -> AbstractContextManager[IO[Any]]:
    """The open file (standard input is left open); a file that cannot be opened is a UserError."""
    if path == "-":
        if not binary:  # standard input splits at LF alone by default: read CR and CRLF endings as a file's are
            sys.stdin.reconfigure(encoding="utf-8", newline=None)  # type: ignore[union-attr]
        return nullcontext(sys.stdin.buffer if binary else sys.stdin)
    try:
        return Path(path).open("rb") if binary else Path(path).open(encoding="utf-8")
    except OSError as exc:  # missing, a folder, no permission, a name too long, a file taken for a folder, ...
        raise _unreadable(name, exc) from None


def _lines(name: str, handle: IO[AnyStr]) -> Iterator[AnyStr]:
    """The handle's lines; a failing read is a UserError naming the file (errors of the caller's own work pass)."""
    try:
        for line in handle:  # noqa: UP028 - `yield from` would close the file (standard input too) on an early stop
            yield line
    except OSError as exc:
        raise _unreadable(name, exc) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not UTF-8 text ({exc.reason}): pass a JSON-lines file") from None


def _split_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Binary reads end a line at `\n` only: split each at `\r\n` and `\r` too, as text mode reads the same file."""
    for chunk in chunks:
        yield from chunk.splitlines(keepends=True)  # bytes split at \r\n, \r and \n only


def _without_bom(lines: Iterator[AnyStr], bom: AnyStr) -> Iterator[AnyStr]:
    """The lines with a byte order mark at the start of the first one dropped (a file saved by a Windows editor)."""
    first = True
    for line in lines:
        yield line.removeprefix(bom) if first else line
        first = False


def _unreadable(name: str, exc: OSError) -> UserError:
    return UserError(f"cannot read {name}: {exc.strerror or exc}")
