"""The redrive audit: one JSON line per letter sent back, in `LIFECYCLE_HOME/audit/redrive.jsonl` and the log.

Each line names who sent it (`cli` or `dashboard`, with the client address), when, the dead letter it came
from (partition and offset in `<prefix>.deadletter`), its reason, and where the original went (topic,
partition, offset). A redriven original also carries the header `lifecycle-redrive-of:
<deadletter topic>/<partition>/<offset>`. A letter that fails again names that new position as its origin,
so the dashboard links it to the earlier letter, and marks the earlier one redriven.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

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


def append(settings: Settings, entries: Iterable[dict[str, Any]]) -> None:
    """Write the lines to the audit file (created when missing) and to the log."""
    lines = [orjson.dumps(item) for item in entries]
    if not lines:
        return
    path = audit_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as out:
        out.write(b"".join(line + b"\n" for line in lines))
    for line in lines:
        log.info("audit %s", line.decode())


def read(settings: Settings) -> list[dict[str, Any]]:
    """Every audit line so far (lines that are not JSON objects are passed over)."""
    path = audit_path(settings)
    if not path.exists():
        return []
    found = []
    for line in path.read_bytes().splitlines():
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(item, dict):
            found.append(item)
    return found
