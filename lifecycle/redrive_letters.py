"""A dead-letter record as `lifecycle redrive` reads it: why, where from, and the original it holds."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from lifecycle.redrive_audit import OriginalId


@dataclass(frozen=True)
class Letter:
    """One dead-letter record: why, where from, and the original key and bytes (None when it was not kept whole)."""

    reason: str
    origin_topic: str
    component: str
    key: bytes | None
    payload: bytes | None
    size: int | None = None  # of the original, in bytes (None: a letter written before sizes were kept)
    sha256: str | None = None
    partition: int = -1  # where the letter itself sits in the dead-letter topic (-1: not known)
    offset: int = -1
    origin_partition: int = -1  # where the original sat in its topic (-1: not known)
    origin_offset: int = -1
    failed_at: str = ""

    @property
    def kept_whole(self) -> bool:
        """Whether the letter holds the original to send back (a letter of a too-large input holds a preview)."""
        return self.payload is not None or self.size is None

    @property
    def original(self) -> OriginalId:
        """The original this letter holds: its position in its topic and its SHA-256."""
        sha256 = self.sha256 if self.payload is None else hashlib.sha256(self.payload).hexdigest()
        return (self.origin_topic, self.origin_partition, self.origin_offset, str(sha256))

    def describe(self) -> str:
        """One line naming the original by topic, size and SHA-256, and the reason."""
        return f"{self.origin_topic}, {self.size} bytes, sha256 {self.sha256}: {self.reason}"


def parse_letter(key: bytes | None, value: bytes | None, partition: int = -1, offset: int = -1) -> Letter | None:
    """A dead-letter record as a Letter; None when it is not one (so it is never sent anywhere)."""
    try:
        document: Any = orjson.loads(value or b"")
        encoded = document["payload_base64"]
        payload = None if encoded is None else base64.b64decode(encoded, validate=True)
        size, sha256 = document.get("payload_bytes"), document.get("payload_sha256")
        origin, failed_at = document["origin"], document.get("failed_at")
        if payload is not None and sha256 is not None and hashlib.sha256(payload).hexdigest() != sha256:
            return None
        return Letter(
            reason=str(document["reason"]),
            origin_topic=str(origin["topic"]),
            component=str(document["component"]),
            key=key,
            payload=payload,
            size=None if size is None else int(size),
            sha256=None if sha256 is None else str(sha256),
            partition=partition,
            offset=offset,
            origin_partition=_position(origin.get("partition")),
            origin_offset=_position(origin.get("offset")),
            failed_at=failed_at if isinstance(failed_at, str) else "",
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def _position(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
