"""The file `samples --out` writes: whole or not at all, never a cut one that looks complete."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import BinaryIO

from lifecycle.errors import UserError
from lifecycle.input_files import shown
from lifecycle.interrupts import Interrupted


def write_whole(path: str, write: Callable[[BinaryIO], int]) -> int:
    """Run `write` on a new file next to `path`, renamed to it once whole; what it returns, or a UserError."""
    # An interrupted or failed write leaves `path` as it was; a device or a pipe (no file to replace) is written as is.
    if not path:
        raise UserError("cannot write '': the file name is empty; name a file, or leave out --out for standard output")
    try:
        status: os.stat_result | None = os.stat(path)
    except FileNotFoundError:  # a new file (its folder may not exist: told below)
        status = None
    except OSError as exc:  # a loop of links, a name too long, a file taken for a folder, no permission
        raise _cannot(path, exc) from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        return _write_in_place(path, write)
    folder = os.path.dirname(os.path.realpath(path))  # through a link: the file it names is replaced
    part = os.path.join(folder, f".samples-{secrets.token_hex(4)}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:  # no such folder; or one that takes no new file (read-only, /proc): say where it was
        where = f" (creating a file in {shown(folder)})" if os.path.isdir(folder) else ""
        raise UserError(f"cannot write {shown(path)}: {exc.strerror}{where}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            if status is not None:
                os.chmod(fd, stat.S_IMODE(status.st_mode))  # the file replaced keeps its permissions
            count = write(out)
            out.flush()
            os.fsync(fd)  # on disk before the name is: a crash never leaves a cut file under the name
        os.replace(part, os.path.realpath(path))
    except BaseException as exc:
        _remove(part)
        if isinstance(exc, Interrupted):
            raise Interrupted(exc.signum, f"interrupted by {exc.name}: {shown(path)} left as it was") from None
        if isinstance(exc, OSError):
            raise _cannot(path, exc) from None
        raise
    return count


def _write_in_place(path: str, write: Callable[[BinaryIO], int]) -> int:
    try:
        with open(path, "wb") as out:
            return write(out)
    except OSError as exc:  # a full device, a folder, a file of /proc that takes no writes
        raise _cannot(path, exc) from None


def _remove(part: str) -> None:
    with contextlib.suppress(OSError):  # left behind, its name still says it is a part, never the whole file
        os.unlink(part)


def _cannot(path: str, exc: OSError) -> UserError:
    return UserError(f"cannot write {shown(path)}: {exc.strerror or exc}")
