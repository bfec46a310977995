"""The outputs of one applied event, kept so a redelivery after a crash resends them, and their one-line JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Sent:
    """The notices and derived events one applied event produced (its snapshot is always the current one)."""

    event_id: str
    notices: tuple[dict[str, Any], ...] = ()
    derived: tuple[dict[str, Any], ...] = ()
    refused: tuple[bytes, ...] = ()  # dead letters of events accepted earlier and refused now
    holds_changed: bool = False  # the serial's holds changed: its holds document is sent again
    decisions: tuple[dict[str, Any], ...] = ()  # support case decisions
    # Why the event itself was refused, kept all the same (R14): its dead letter is made from the message that
    # brings it (again), so the state holds no second copy of the event (letters in `refused` are kept whole).
    rejection: str | None = None


def encode_sent(sent: Sent) -> bytes:
    """The outputs as one line of JSON (orjson escapes every newline inside a string)."""
    return orjson.dumps(
        {
            "event_id": sent.event_id,
            "notices": sent.notices,
            "derived": sent.derived,
            "refused": [letter.decode() for letter in sent.refused],
            "holds_changed": sent.holds_changed,
            "decisions": sent.decisions,
            "rejection": sent.rejection,
        }
    )


def decode_sent(line: bytes) -> Sent:
    """The outputs from their JSON (as `encode_sent` writes it, or an item of the older whole-object layout)."""
    item = orjson.loads(line)
    # Fields added later default to nothing: an older value has none of them.
    return Sent(
        item["event_id"],
        tuple(item["notices"]),
        tuple(item["derived"]),
        tuple(letter.encode() for letter in item.get("refused", ())),
        bool(item.get("holds_changed", False)),
        tuple(item.get("decisions", ())),
        item.get("rejection"),
    )
