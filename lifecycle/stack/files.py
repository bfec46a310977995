"""Files the stack writes as root into folders the `postgres` user controls, never through a link planted there.

That user may put a symbolic link at any name in its folders. A plain `open(path, "w")` or `chmod(path)` follows
it, and root then overwrites, truncates or re-modes a file elsewhere. `write_file` instead creates a new file
under a fresh name (O_CREAT|O_EXCL|O_NOFOLLOW: never an existing entry, never a link), sets its mode and owner on
the open file, and renames it over the target: a rename replaces a link, it does not follow it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from lifecycle.errors import UserError

NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


def check_home(home: Path) -> None:
    """Refuse, in one line, a LIFECYCLE_HOME that is not a folder or lies under a file (the stack's files go there)."""
    existing = next((part for part in (home, *home.parents) if os.path.lexists(part)), None)
    if existing is None or os.path.isdir(existing):
        return
    where = "is not a folder" if existing == home else f"lies under {existing}, which is not a folder"
    raise UserError(f"LIFECYCLE_HOME {home} {where}: point it at a folder, or at a path where one can be made")


def open_folder(folder: Path) -> int:
    """A descriptor of `folder`, refusing a symbolic link in its place (the last name is the one others may swap)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            raise UserError(f"{folder} is a symbolic link, not a folder: remove it and start the stack again") from None
        raise


def write_file(path: Path, text: str, mode: int = 0o600, owner: tuple[int, int] | None = None) -> None:
    """Replace `path` by a new file holding `text`, with exactly `mode` (and `owner`: uid, gid), in one step."""
    folder = open_folder(path.parent)
    partial = f".{path.name}.{secrets.token_hex(8)}"  # unguessable, and O_EXCL refuses whatever is there anyway
    try:
        with os.fdopen(os.open(partial, NEW_FILE, 0o600, dir_fd=folder), "w") as handle:
            if owner is not None:
                os.fchown(handle.fileno(), *owner)
            os.fchmod(handle.fileno(), mode)  # on the descriptor: the umask cannot narrow or widen it
            handle.write(text)
        os.replace(partial, path.name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial, dir_fd=folder)
        raise
    finally:
        os.close(folder)
