"""The one shape of a dead-letter record: why an input was rejected, where it came from, and the input itself."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson


def _text(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def rfc3339(instant: datetime) -> str:
    """An aware datetime as an RFC 3339 UTC timestamp ending in Z."""
    if instant.tzinfo is None:
        raise ValueError("failed_at must be timezone-aware")
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def deadletter_record(
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    component: str,
    failed_at: datetime,
) -> bytes:
    """The dead-letter value for one rejected input; publish it keyed by the original key."""
    record = {
        "reason": reason,
        "origin": {"topic": topic, "partition": partition, "offset": offset},
        "component": component,
        "failed_at": rfc3339(failed_at),
        "payload": _text(value),
        "payload_base64": None if value is None else base64.b64encode(value).decode("ascii"),
        "key": None if key is None else key.decode("utf-8", errors="backslashreplace"),
    }
    return orjson.dumps(record)
