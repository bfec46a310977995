"""Secret settings read from files: `LIFECYCLE_<NAME>_FILE` names the file whose content is `LIFECYCLE_<NAME>`.

A file keeps a password out of the process's environment (`docker inspect`, `/proc/<pid>/environ`, crash reports):
compose and Kubernetes mount secrets as files. Only secret settings may come from a file.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

from lifecycle.errors import UserError

FILE_SUFFIX = "_FILE"


def secret_of_file_setting(name: str, secrets: Collection[str]) -> str | None:
    """The secret setting `name` (any case) gives the file of, if it is `<SECRET>_FILE`."""
    upper = name.upper()
    setting = upper.removesuffix(FILE_SUFFIX)
    return setting if setting != upper and setting in secrets else None


def with_secret_files(environ: Mapping[str, str], secrets: Collection[str], *, strict: bool = True) -> dict[str, str]:
    """`environ` with each `<SECRET>_FILE` replaced by `<SECRET>`, read from that file (a final line end dropped).

    Not `strict` (to mask secrets in output), a file that cannot be read is passed over: the others are still read.
    """
    resolved = dict(environ)
    given = {name.upper() for name in environ}
    for written, path in environ.items():
        setting = secret_of_file_setting(written, secrets)
        if setting is None:
            continue
        if setting in given:
            if not strict:
                continue
            raise UserError(f"{setting} and {written.upper()} are both set: set one of them")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            if not strict:
                continue
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise UserError(f"{written.upper()}: cannot read the file {path!r} ({reason})") from None
        del resolved[written]
        resolved[setting] = text.removesuffix("\n").removesuffix("\r")
    return resolved
