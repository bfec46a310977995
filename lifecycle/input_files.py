"""The JSON-lines input of `emit` and `replay`: a file or standard input, whose problems are one line each."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lifecycle.errors import UserError


@contextmanager
def open_input(path: str) -> Iterator[IO[str]]:
    """The named UTF-8 file, or standard input for `-`; a missing, unreadable or non-text file is a UserError."""
    name = "standard input" if path == "-" else path
    try:
        if path == "-":
            yield sys.stdin
            return
        with Path(path).open(encoding="utf-8") as handle:
            yield handle
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise UserError(f"cannot read {name}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{name} is not UTF-8 text ({exc.reason}): pass a JSON-lines file") from None
