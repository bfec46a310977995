"""The processor table's value for one serial: the rules' state plus the recent events' outputs.

Format 3 is lines: `3`, the state's JSON, then one JSON line per recent event's outputs, oldest first (orjson
never writes a raw newline). Decoding parses the state line alone and keeps the output lines as bytes: they are
read only when a redelivered event asks for them, and written back as they came. A value that starts with `{`
(the one JSON object `{"state": ..., "recent": [...]}` written before) still loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import orjson

from lifecycle.rules import SerialState, state_from_dict, state_to_dict
from streams.sent import Sent, decode_sent, encode_sent

# How many recently applied events keep their outputs, so a redelivery after a crash can resend them.
RECENT_LIMIT = 16

FORMAT = b"3"  # the first line of this layout; the older JSON object starts with `{`


@dataclass(frozen=True)
class StoredSerial:
    """What the table keeps for one serial."""

    state: SerialState
    recent: tuple[bytes, ...] = ()  # each recent event's outputs as `encode_sent` wrote them, oldest first

    def sent_for(self, event_id: str) -> Sent | None:
        """The outputs of a recently applied event, or None (not applied, as the rules say, or not recent)."""
        if not self.state.applied(event_id):
            return None  # never applied, or a hold that ran out let it go
        quoted = orjson.dumps(event_id)
        for line in reversed(self.recent):
            # The quoted id in the line is a cheap first test; only a line that has it is parsed.
            if quoted in line and (sent := decode_sent(line)).event_id == event_id:
                return sent
        return None

    def after(self, state: SerialState, sent: Sent) -> StoredSerial:
        """The stored value once `sent`'s event has moved the state to `state`."""
        return StoredSerial(state, (*self.recent, encode_sent(sent))[-RECENT_LIMIT:])

    @cached_property
    def encoded(self) -> bytes:
        """The table value as format 3 bytes, encoded once."""
        return b"\n".join((FORMAT, orjson.dumps(state_to_dict(self.state)), *self.recent))


def encode_stored(stored: StoredSerial) -> bytes:
    """The table value as bytes."""
    return stored.encoded


def decode_stored(raw: bytes) -> StoredSerial:
    """The table value from bytes, format 3 or the older JSON object."""
    if raw[:1] == b"{":
        document = orjson.loads(raw)
        # Each older item is the same JSON as a line: written as a line, it is read like one.
        recent = tuple(orjson.dumps(item) for item in document["recent"])
        stored = StoredSerial(state_from_dict(document["state"]), recent)
    else:
        lines = raw.split(b"\n")
        if lines[0] != FORMAT:
            written = lines[0][:20].decode(errors="backslashreplace")
            raise ValueError(f"stored value is format {written!r}, not the {FORMAT.decode()} this processor reads")
        stored = StoredSerial(state_from_dict(orjson.loads(lines[1])), tuple(lines[2:]))
    stored.__dict__["encoded"] = raw  # what it was decoded from: an unchanged value is never encoded again
    return stored
