"""The fast path: one inbound event from bytes to a typed message with msgspec, or None for the schema to explain."""

from __future__ import annotations

import re

import msgspec

from schemas.checks import DATE_FIELDS, INSTANT_FIELDS, may_be_too_deep
from schemas.events import EVENT_CLASSES, AnyEvent

_DECODER = msgspec.json.Decoder(AnyEvent)
# What could put a control character (U+0000 to U+001F, U+007F to U+009F) in a decoded string: an escape, DEL,
# or the UTF-8 of a C1 character. Raw bytes below U+0020 are not JSON. A match may be harmless (`\\n`, a key):
# such an event just takes the schema path.
_MAY_CONTROL = re.compile(rb"\\(?:[bfnrt]|u00(?:[01]|7[fF]|[89]))|\x7f|\xc2[\x80-\x9f]")
# Calendar fields of other document kinds: schemas/checks.py checks them on any document, even as extra fields
# of an event, which msgspec does not look at. An event that carries one takes the schema path.
FOREIGN_CALENDAR: dict[type, tuple[str, ...]] = {
    cls: tuple(name for name in (*INSTANT_FIELDS, *DATE_FIELDS) if name not in cls.__struct_fields__)
    for cls in EVENT_CLASSES.values()
}
_FOREIGN_KEYS = {cls: tuple(f'"{name}"'.encode() for name in names) for cls, names in FOREIGN_CALENDAR.items()}


def fast_event(raw: bytes | str, foreign_checked: bool = False) -> AnyEvent | None:
    """The event, when msgspec accepts it with every check of the contract; None when the schema path must decide."""
    # foreign_checked: the caller looks for FOREIGN_CALENDAR fields itself, in its parsed dict (quicker).
    try:
        data = raw.encode() if isinstance(raw, str) else raw
    except UnicodeEncodeError:
        return None
    # Most events hold no escape at all: three byte searches, and the pattern only when one finds something.
    # `find`, not `in`: `in` tries the bytes as an int first and formats a TypeError it then drops.
    find = data.find
    if (find(b"\\") >= 0 or find(b"\x7f") >= 0 or find(b"\xc2") >= 0) and _MAY_CONTROL.search(data):
        return None
    # msgspec descends once per level, even into fields it skips: the schema path judges (and refuses) deep nesting.
    if may_be_too_deep(data):
        return None
    try:
        event = _DECODER.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if not foreign_checked and any(key in data for key in _FOREIGN_KEYS[type(event)]):
        return None
    return event
