"""The newest dead letters, read incrementally from `<prefix>.deadletter` (common dead-letter value shape).

The topic is where dead letters live (kept for its retention, read by `lifecycle redrive`); the dashboard keeps
the newest KEEP_LETTERS of them summarized in memory and groups, filters and pages them there (`queue.py`).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from lifecycle import redrive_audit
from lifecycle.dashboard.letter_detail import NOT_JSON, mask_text
from lifecycle.dashboard.queue import Filters, annotate, queue_view
from lifecycle.dashboard.tail import TopicTail
from lifecycle.settings import Settings
from lifecycle.topics import DEADLETTER

PREVIEW_CHARS = 300
KEEP_LETTERS = 20_000


def summarize(partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
    """One dead-letter record as the dashboard shows it; tolerates records not in the expected shape."""
    try:
        record = orjson.loads(value or b"")
    except NOT_JSON:
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
        "origin": {name: _scalar(origin.get(name)) for name in ("topic", "partition", "offset")},
        "key": _scalar(record.get("key")),
        "serial": _serial(record),
        "preview": _preview(record),
    }


def _serial(record: dict[str, Any]) -> str | None:
    """The serial the original names (its `serial` field), else the original's key."""
    payload = record.get("payload")
    if isinstance(payload, str) and payload.startswith("{"):
        try:
            document = orjson.loads(payload)
        except NOT_JSON:
            document = None
        if isinstance(document, dict) and isinstance(document.get("serial"), str):
            return str(document["serial"])
    key = record.get("key")
    return key if isinstance(key, str) else None


def _scalar(value: Any) -> str | int | None:
    """A text or a number as it is; anything else (a letter not written by the pipeline) as absent."""
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _preview(record: dict[str, Any]) -> str:
    payload = record.get("payload")
    if isinstance(payload, str):
        return mask_text(payload)[:PREVIEW_CHARS] + (
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
        super().__init__(settings, DEADLETTER, summarize, KEEP_LETTERS)
        self.settings = settings
        self.audit: list[dict[str, Any]] = []

    def refresh(self) -> None:
        """New letters from the topic, and the redrive audit lines (which mark and link letters)."""
        super().refresh()
        self.reload_audit()

    def unreadable(self, partition: int, offset: int, exc: Exception) -> dict[str, Any]:
        """A letter a summary cannot be made of: listed, with why it cannot be shown."""
        return {**summarize(partition, offset, None), "reason": f"(dead letter cannot be shown: {type(exc).__name__})"}

    def reload_audit(self) -> None:
        """Read the redrive audit again (after a redrive)."""
        self.audit = redrive_audit.read(self.settings)

    def letters(self) -> list[dict[str, Any]]:
        """Every letter kept, newest first, marked when redriven and linked to the letter it was redriven from."""
        newest = sorted(self.records.copy(), key=lambda item: item["failed_at"], reverse=True)
        return annotate(newest, self.audit, self.settings.topic(DEADLETTER.suffix))

    def view(self, reason: str = "", limit: int = 100) -> dict[str, Any]:
        """The newest dead letters, newest first, optionally only those whose reason contains `reason`."""
        return queue_view(self.letters(), Filters(reason=reason), 1, limit)
