"""The processor table's value for one serial: the rules' state plus the recent events' outputs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from lifecycle.rules import SerialState, state_from_dict, state_to_dict

# How many recently applied events keep their outputs, so a redelivery after a crash can resend them.
RECENT_LIMIT = 16


@dataclass(frozen=True)
class Sent:
    """The notices and derived events one applied event produced (its snapshot is always the current one)."""

    event_id: str
    notices: tuple[dict[str, Any], ...] = ()
    derived: tuple[dict[str, Any], ...] = ()
    refused: tuple[bytes, ...] = ()  # dead letters of events accepted earlier and refused now
    holds_changed: bool = False  # the serial's holds changed: its holds document is sent again
    decisions: tuple[dict[str, Any], ...] = ()  # support case decisions


@dataclass(frozen=True)
class StoredSerial:
    """What the table keeps for one serial."""

    state: SerialState
    recent: tuple[Sent, ...] = ()

    def sent_for(self, event_id: str) -> Sent | None:
        """The outputs of a recently applied event, or None (not applied, as the rules say, or not recent)."""
        if not self.state.applied(event_id):
            return None  # never applied, or a hold that ran out let it go
        return next((sent for sent in self.recent if sent.event_id == event_id), None)

    def after(self, state: SerialState, sent: Sent) -> StoredSerial:
        """The stored value once `sent`'s event has moved the state to `state`."""
        return StoredSerial(state, (*self.recent, sent)[-RECENT_LIMIT:])

    @cached_property
    def encoded(self) -> bytes:
        """The table value as JSON bytes, encoded once."""
        return _encode(self)


def encode_stored(stored: StoredSerial) -> bytes:
    """The table value as JSON bytes."""
    return stored.encoded


def _encode(stored: StoredSerial) -> bytes:
    recent = [
        {
            "event_id": s.event_id,
            "notices": s.notices,
            "derived": s.derived,
            "refused": [letter.decode() for letter in s.refused],
            "holds_changed": s.holds_changed,
            "decisions": s.decisions,
        }
        for s in stored.recent
    ]
    return orjson.dumps({"state": state_to_dict(stored.state), "recent": recent})


def decode_stored(raw: bytes) -> StoredSerial:
    """The table value from JSON bytes."""
    document = orjson.loads(raw)
    recent = tuple(
        Sent(
            item["event_id"],
            tuple(item["notices"]),
            tuple(item["derived"]),
            tuple(letter.encode() for letter in item.get("refused", ())),
            bool(item.get("holds_changed", False)),
            tuple(item.get("decisions", ())),
        )
        for item in document["recent"]
    )
    stored = StoredSerial(state_from_dict(document["state"]), recent)
    stored.__dict__["encoded"] = raw  # what it was decoded from: an unchanged value is never encoded again
    return stored
