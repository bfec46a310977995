"""The redrive audit: one JSON line per letter sent back, in `LIFECYCLE_HOME/audit/redrive.jsonl` and the log.

Each line names who sent it (`cli` or `dashboard`, with the client address), when, the dead letter it came
from (partition and offset in `<prefix>.deadletter`), its reason, and where the original went (topic,
partition, offset). A redriven original also carries the header `lifecycle-redrive-of:
<deadletter topic>/<partition>/<offset>`. A letter that fails again names that new position as its origin,
so the dashboard links it to the earlier letter, and marks the earlier one redriven. The file is opened before
anything is sent, and each line is written as its send is acknowledged, so a run that fails halfway still
audits every original that went out; a letter the audit names is not sent again unless asked for.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from lifecycle.errors import UserError
from lifecycle.settings import Settings

HEADER = "lifecycle-redrive-of"
log = logging.getLogger("lifecycle.audit")


def audit_path(settings: Settings) -> Path:
    """Where the audit lines go."""
    return settings.home / "audit" / "redrive.jsonl"


def header_value(deadletter_topic: str, partition: int, offset: int) -> bytes:
    """The header a redriven original carries: the dead letter it was sent back from."""
    return f"{deadletter_topic}/{partition}/{offset}".encode()


def entry(
    actor: str,
    at: datetime,
    letter: tuple[int, int, str],
    sent_to: tuple[str, int, int],
) -> dict[str, Any]:
    """One audit line: `letter` is (partition, offset, reason) in the dead-letter topic, `sent_to` the new position."""
    partition, offset, reason = letter
    topic, sent_partition, sent_offset = sent_to
    return {
        "event": "deadletter_redriven",
        "at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "actor": actor,
        "deadletter": {"partition": partition, "offset": offset},
        "reason": reason,
        "sent_to": {"topic": topic, "partition": sent_partition, "offset": sent_offset},
    }


class AuditFile:
    """The audit file, open for appending before anything is sent; `write` is safe from the producer's thread."""

    def __init__(self, settings: Settings) -> None:
        self.path = audit_path(settings)
        self.failure: OSError | None = None  # the first write that failed (its lines are in the log all the same)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("ab")
        except OSError as exc:
            raise UserError(
                f"cannot write the redrive audit file {self.path} ({exc.strerror or exc}): "
                "point LIFECYCLE_HOME at a writable folder; nothing was sent"
            ) from None

    def write(self, item: dict[str, Any]) -> None:
        """One line to the log, then to the file (flushed at once); a failed write is kept for `close` to report."""
        line = orjson.dumps(item)
        log.info("audit %s", line.decode())
        with self._lock:
            try:
                self._out.write(line + b"\n")
                self._out.flush()
            except OSError as exc:
                self.failure = self.failure or exc

    def close(self) -> None:
        """Close the file; UserError when a line could not be written to it."""
        with self._lock:
            try:
                self._out.close()
            except OSError as exc:
                self.failure = self.failure or exc
        if self.failure is not None:
            raise UserError(
                f"the redrive audit file {self.path} could not be written ({self.failure.strerror or self.failure}): "
                "its lines are in the log (logger lifecycle.audit); free the space or fix the folder"
            )


def read(settings: Settings) -> list[dict[str, Any]]:
    """Every audit line so far (lines that are not JSON objects are passed over)."""
    path = audit_path(settings)
    if not path.exists():
        return []
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(
            f"cannot read the redrive audit file {path} ({exc.strerror or exc}): let this user read LIFECYCLE_HOME"
        ) from None
    found = []
    for line in data.splitlines():
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(item, dict):
            found.append(item)
    return found


def redriven(lines: Iterable[dict[str, Any]]) -> set[tuple[int, int]]:
    """The positions (partition, offset) in the dead-letter topic of the letters these audit lines sent back."""
    found: set[tuple[int, int]] = set()
    for line in lines:
        letter = line.get("deadletter")
        partition, offset = (letter.get("partition"), letter.get("offset")) if isinstance(letter, dict) else (0, None)
        if isinstance(partition, int) and isinstance(offset, int):
            found.add((partition, offset))
    return found
