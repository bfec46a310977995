"""What the redrive audit names as sent back: letters by their whole identity, originals by origin and SHA-256.

See `lifecycle.redrive_audit` for the lines and what a letter's identity is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lifecycle.redrive_audit import Origin, OriginalId


@dataclass(frozen=True)
class Redriven:
    """What the audit names as sent back from one dead-letter topic: its letters, and the originals they held."""

    letters: frozenset[tuple[int, int, str, Origin]] = frozenset()  # (partition, offset, failed_at, origin)
    positions: frozenset[tuple[int, int]] = frozenset()  # from lines that named only a position
    # Each original whose origin position is known, with when it was last sent back: a letter of it written later
    # (the same input refused again on a recreated topic) is not one of those sent back.
    originals: Mapping[OriginalId, datetime] = field(default_factory=dict)

    def sent_back_after(self, original: OriginalId, failed_at: str) -> bool:
        """Whether the audit sent `original` back after a letter of it that failed at `failed_at` was written."""
        sent_at = self.originals.get(original)
        failed = instant(failed_at)
        return sent_at is not None and (failed is None or failed <= sent_at)

    def names_letter(self, partition: int, offset: int, failed_at: str, origin: Origin) -> bool:
        """Whether the letter at this position, failed at this instant for an original from `origin`, was sent back."""
        return (partition, offset, failed_at, origin) in self.letters or (partition, offset) in self.positions


NOTHING = Redriven()


def letter_named(line: Mapping[str, Any], deadletter_topic: str) -> tuple[int, int, str | None] | None:
    """The letter of `deadletter_topic` an audit line sent back: partition, offset and `failed_at` (None from a line
    that named only a position, which counts for the dead-letter topic of its `sent_to` prefix); else None."""
    letter, sent_to = _object(line, "deadletter"), _object(line, "sent_to")
    partition, offset = letter.get("partition"), letter.get("offset")
    if not (isinstance(partition, int) and isinstance(offset, int)):
        return None
    if "topic" not in letter:
        return (partition, offset, None) if _prefix(sent_to.get("topic")) == _prefix(deadletter_topic) else None
    return (partition, offset, str(letter.get("failed_at"))) if letter["topic"] == deadletter_topic else None


def redriven(lines: Iterable[dict[str, Any]], deadletter_topic: str) -> Redriven:
    """What these audit lines sent back from `deadletter_topic` (lines in another shape are passed over)."""
    letters: set[tuple[int, int, str, Origin]] = set()
    positions: set[tuple[int, int]] = set()
    originals: dict[OriginalId, datetime] = {}
    for line in lines:
        letter = _object(line, "deadletter")
        if not (isinstance(letter.get("partition"), int) and isinstance(letter.get("offset"), int)):
            continue
        named = letter_named(line, deadletter_topic)
        if "topic" not in letter:  # written before the topic was kept
            if named is not None:
                positions.add(named[:2])
            continue
        found = _original(_object(line, "original"))
        if found is None:
            continue
        if named is not None:
            letters.add((named[0], named[1], str(named[2]), found[:3]))
        # An original refused after its offset was committed names no position: a copy sent back that is refused
        # again has the same bytes, so only its letter can say it was sent back.
        if found[1] >= 0 and found[2] >= 0:
            at = instant(line.get("at")) or _END_OF_TIME
            originals[found] = max(at, originals.get(found, at))
    return Redriven(frozenset(letters), frozenset(positions), originals)


_END_OF_TIME = datetime.max.replace(tzinfo=UTC)


def instant(text: Any) -> datetime | None:
    """An audit line's or a letter's RFC 3339 instant; None when it is not one."""
    try:
        parsed = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _object(line: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = line.get(name)
    return value if isinstance(value, dict) else {}


def _original(value: dict[str, Any]) -> OriginalId | None:
    topic, partition, offset, sha256 = (value.get(name) for name in ("topic", "partition", "offset", "sha256"))
    if isinstance(topic, str) and isinstance(partition, int) and isinstance(offset, int) and isinstance(sha256, str):
        return (topic, partition, offset, sha256)
    return None


def _prefix(topic: Any) -> str | None:
    """The prefix of `<prefix>.<suffix>` (suffixes have no dot); None when not a topic name."""
    return topic.rpartition(".")[0] if isinstance(topic, str) and "." in topic else None
