"""The newest dead letters, read incrementally from `<prefix>.deadletter` (common dead-letter value shape)."""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import orjson

from lifecycle.dashboard.tail import TopicTail
from lifecycle.settings import Settings
from lifecycle.topics import DEADLETTER

PREVIEW_CHARS = 300


def summarize(partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
    """One dead-letter record as the dashboard shows it; tolerates records not in the expected shape."""
    try:
        record = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        record = None
    if not isinstance(record, dict):
        record = {"reason": "(dead letter is not a JSON object)", "payload": None, "payload_base64": None}
    found = record.get("origin")
    origin: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "partition": partition,
        "offset": offset,
        "reason": str(record.get("reason") or "(no reason)"),
        "component": str(record.get("component") or ""),
        "failed_at": str(record.get("failed_at") or ""),
        "origin": {"topic": origin.get("topic"), "partition": origin.get("partition"), "offset": origin.get("offset")},
        "key": record.get("key"),
        "preview": _preview(record),
    }


def _preview(record: dict[str, Any]) -> str:
    payload = record.get("payload")
    if isinstance(payload, str):
        return payload[:PREVIEW_CHARS] + (
            "…" if len(payload) > PREVIEW_CHARS or record.get("payload_truncated") else ""
        )
    size = record.get("payload_bytes")
    if isinstance(size, int):
        return f"(binary, {size} bytes)"
    encoded = record.get("payload_base64")
    if isinstance(encoded, str):
        try:
            return f"(binary, {len(base64.b64decode(encoded))} bytes)"
        except ValueError:
            return "(binary)"
    return "(no payload)"


class DeadLetterReader(TopicTail):
    """Keeps the newest dead letters, reading only what arrived since the last call."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, DEADLETTER, summarize)

    def view(self, reason: str = "", limit: int = 100) -> dict[str, Any]:
        """The newest dead letters, newest first, optionally only those whose reason contains `reason`."""
        newest = sorted(self.records, key=lambda item: item["failed_at"], reverse=True)
        counts = Counter(item["reason"] for item in newest)
        wanted = reason.lower()
        shown = [item for item in newest if wanted in item["reason"].lower()][:limit]
        return {"total": len(newest), "reasons": counts.most_common(20), "items": shown}
