"""The replay's result document, written one entitlement, notice or refusal per line as it goes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

import orjson

from lifecycle.replay.pipeline import Replay
from lifecycle.rules.calendar import iso_instant

# Lines are written this many at a time: an unbuffered output (PYTHONUNBUFFERED) makes each write a system call.
_LINES_PER_WRITE = 1024


def write_document(out: IO[bytes], replay: Replay, notice_lines: Iterable[bytes]) -> None:
    """The result document as docs/architecture.md (`lifecycle replay`) gives it, the notices from their lines."""
    as_of = orjson.dumps(iso_instant(replay.clock) if replay.clock else None)
    out.write(b'{\n  "as_of": ' + as_of + b",\n")
    _write_array(out, "entitlements", (orjson.dumps(snapshot) for snapshot in replay.snapshots()), b",")
    _write_array(out, "notices", (line.rstrip(b"\n") for line in notice_lines), b",")
    _write_array(out, "rejected", (orjson.dumps(item) for item in replay.rejected), b",")
    _write_array(out, "held", (orjson.dumps(item) for item in replay.held()), b",")
    _write_array(out, "case_decisions", (orjson.dumps(item) for item in replay.case_decisions), b"")
    out.write(b"}\n")


def _write_array(out: IO[bytes], name: str, items: Iterable[bytes], after: bytes) -> None:
    out.write(b'  "' + name.encode() + b'": [')
    separator = b"\n    "
    lines: list[bytes] = []
    for item in items:
        lines.append(separator + item)
        separator = b",\n    "
        if len(lines) == _LINES_PER_WRITE:
            out.write(b"".join(lines))
            lines.clear()
    out.write(b"".join(lines) + (b"\n  ]" if separator != b"\n    " else b"]") + after + b"\n")
