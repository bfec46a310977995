"""The one shape of a dead-letter record: why an input was rejected, where it came from, and the input itself.

A letter holds the original whole (as text when it is UTF-8, and as base64) when its key and value fit in the
preview (LIFECYCLE_DEADLETTER_PREVIEW_BYTES); a larger one keeps only its first preview bytes as text, with its
size and SHA-256, and `payload_truncated` set, so no letter outgrows the topics' message size limit.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from lifecycle.topics import MAX_MESSAGE_BYTES

DEFAULT_PREVIEW_BYTES = 65_536
# A letter takes at most ~4.4 times the preview (its text, escaped, up to 2x; base64 4/3; the key once more).
MAX_PREVIEW_BYTES = MAX_MESSAGE_BYTES // 5
KEY_PREVIEW_BYTES = 1_024  # of the original key, shown as text in the letter
REASON_CHARS = 1_000
UTF8_TAIL = 3  # a preview cut inside a character loses at most this many bytes of it


def _text(raw: bytes, cut: bool) -> str | None:
    """The bytes as UTF-8 text (with `cut`, a character cut off at the end is dropped); None when not UTF-8."""
    for dropped in range(min(UTF8_TAIL, len(raw)) + 1 if cut else 1):
        try:
            return raw[: len(raw) - dropped].decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(raw) - UTF8_TAIL:
                return None
    return None


def _bounded_text(raw: bytes, cut: bool, limit: int) -> str | None:
    """The text of `raw`, unless escaping it in JSON (control characters) would take more than twice `limit`."""
    text = _text(raw, cut) if raw or not cut else None
    if text is None or len(orjson.dumps(text)) > 2 * limit + 2:
        return None
    return text


def is_whole(key: bytes | None, value: bytes | None, preview_bytes: int) -> bool:
    """Whether a letter keeps this original whole: its key and value fit in the preview together."""
    return value is not None and len(key or b"") + len(value) <= preview_bytes


def deadletter_key(key: bytes | None, value: bytes | None, preview_bytes: int = DEFAULT_PREVIEW_BYTES) -> bytes | None:
    """The key to publish a letter under: the original key, or its first bytes when the letter is only a preview."""
    if key is None or is_whole(key, value, preview_bytes):
        return key
    return key[:KEY_PREVIEW_BYTES]


def rfc3339(instant: datetime) -> str:
    """An aware datetime as an RFC 3339 UTC timestamp ending in Z."""
    if instant.tzinfo is None:
        raise ValueError("failed_at must be timezone-aware")
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _payload(key: bytes | None, value: bytes | None, preview_bytes: int) -> dict[str, Any]:
    if value is None:
        none = {"payload": None, "payload_base64": None, "payload_bytes": None, "payload_sha256": None}
        return {**none, "payload_truncated": False}
    whole = is_whole(key, value, preview_bytes)
    return {
        "payload": _bounded_text(value if whole else value[:preview_bytes], not whole, preview_bytes),
        "payload_base64": base64.b64encode(value).decode("ascii") if whole else None,
        "payload_bytes": len(value),
        "payload_sha256": hashlib.sha256(value).hexdigest(),
        "payload_truncated": not whole,
    }


def deadletter_record(
    reason: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    component: str,
    failed_at: datetime,
    preview_bytes: int = DEFAULT_PREVIEW_BYTES,
) -> bytes:
    """The dead-letter value for one rejected input; publish it keyed by `deadletter_key`."""
    record = {
        "reason": reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…",
        "origin": {"topic": topic, "partition": partition, "offset": offset},
        "component": component,
        "failed_at": rfc3339(failed_at),
        **_payload(key, value, preview_bytes),
        "key": None if key is None else key[:KEY_PREVIEW_BYTES].decode("utf-8", errors="backslashreplace"),
    }
    return orjson.dumps(record)
