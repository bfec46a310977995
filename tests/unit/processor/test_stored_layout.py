"""The table value's format 3 (the state's line, then one line per recent outputs) and the older JSON object."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from lifecycle.rules import Policy, SerialState, state_to_dict
from lifecycle.samples import events as ev
from lifecycle.topics import TOPIC_BY_EVENT_TYPE
from streams.handler import Context, Handled, Inbound, handle
from streams.sent import Sent, decode_sent
from streams.stored import RECENT_LIMIT, StoredSerial, decode_stored, encode_stored

ARRIVED = datetime(2026, 12, 1, 9, tzinfo=UTC)
CONTEXT = Context("t", {}, Policy(), now=lambda: ARRIVED)
BOUGHT = datetime(2025, 1, 1, tzinfo=UTC)
STATE = SerialState(serial="SN-1", clock=BOUGHT)


def _message(event: dict[str, Any], offset: int = 0) -> Inbound:
    topic = TOPIC_BY_EVENT_TYPE[event["type"]].name("t")
    return Inbound(topic, 0, offset, event["serial"].encode(), orjson.dumps(event), ARRIVED)


def _stream(count: int) -> list[dict[str, Any]]:
    """A purchase, then `count - 1` renewals, a day apart, of serial S."""
    purchase = ev.purchase("e-0", BOUGHT, "S", "a", "backup-advanced", "12.5")
    return [purchase, *(_renewal(n) for n in range(1, count))]


def _renewal(n: int) -> dict[str, Any]:
    return ev.renewal(f"e-{n}", BOUGHT + timedelta(days=n), "S", "a", f"ro-{n}")


def _feed(rows: dict[str, bytes], event: dict[str, Any], encode: Any = encode_stored) -> Handled:
    """Handle one event against encoded rows, as the worker does: every load decodes what was stored."""
    handled = handle(_message(event), lambda serial: decode_stored(rows[serial]) if serial in rows else None, CONTEXT)
    if handled.serial is not None and handled.stored is not None:
        rows[handled.serial] = encode(handled.stored)
    return handled


def _old_layout(stored: StoredSerial) -> bytes:
    """The value as it was written before format 3: one JSON object."""
    recent = [orjson.loads(line) for line in stored.recent]
    return orjson.dumps({"state": state_to_dict(stored.state), "recent": recent})


def _notices(handled: Handled) -> list[bytes]:
    return [record.value for record in handled.records if record.suffix == "notices"]


def test_format_3_round_trips_and_keeps_the_last_outputs_as_they_were_written() -> None:
    stored = StoredSerial(STATE)
    for n in range(RECENT_LIMIT + 3):
        stored = stored.after(STATE, Sent(f"e-{n}", ({"kind": "k", "n": n},), refused=(b'{"reason":"r"}',)))
    raw = encode_stored(stored)
    assert raw.startswith(b"3\n{")
    assert raw.count(b"\n") == 1 + RECENT_LIMIT
    back = decode_stored(raw)
    assert back == stored
    assert [decode_sent(line).event_id for line in back.recent] == [f"e-{n}" for n in range(3, RECENT_LIMIT + 3)]
    assert decode_sent(back.recent[0]) == Sent("e-3", ({"kind": "k", "n": 3},), refused=(b'{"reason":"r"}',))
    assert back.encoded is raw  # decoded and unchanged: written back as it was read
    after = back.after(STATE, Sent("e-99"))
    assert after.recent[:-1] == back.recent[1:]  # the older lines are kept as bytes, never encoded again
    assert decode_stored(encode_stored(after)) == after


def test_notices_with_newlines_and_unicode_in_their_strings_round_trip() -> None:
    notice = {"text": 'line one\nline two\r\n\ttabbed \u2028 "quoted"', "name": "Ærø \u2013 東京 🚀", "\n": ["\n\n"]}
    sent = Sent("é\n1", (notice,), decisions=({"note": "a\nb"},))
    stored = StoredSerial(STATE).after(STATE, sent).after(STATE, Sent("e-2"))
    raw = encode_stored(stored)
    assert raw.count(b"\n") == 3  # the format, the state, two outputs: no newline of a string is raw
    back = decode_stored(raw)
    assert decode_sent(back.recent[0]) == sent
    assert decode_stored(encode_stored(back.after(STATE, Sent("e-3")))).recent[1] == back.recent[1]


def test_a_duplicate_after_decode_resends_the_notices_it_first_sent() -> None:
    rows: dict[str, bytes] = {}
    events = _stream(4)
    first = [_feed(rows, event) for event in events]
    assert [handled.outcome for handled in first] == ["applied"] * 4
    assert rows["S"].startswith(b"3\n")
    for event, handled in zip(events, first, strict=True):
        again = _feed(rows, event)
        assert again.outcome == "duplicate"
        assert _notices(again) == _notices(handled)
    assert _notices(first[0])  # the purchase started support: there was something to resend


def test_only_the_last_outputs_are_kept_so_an_older_redelivery_is_not_a_duplicate_of_them() -> None:
    rows: dict[str, bytes] = {}
    events = _stream(RECENT_LIMIT + 2)
    for event in events:
        _feed(rows, event)
    stored = decode_stored(rows["S"])
    assert len(stored.recent) == RECENT_LIMIT
    assert stored.sent_for("e-1") is None  # applied, but its outputs are no longer kept
    assert stored.sent_for(f"e-{RECENT_LIMIT + 1}") is not None
    assert stored.sent_for("never-seen") is None


def test_a_value_written_as_one_json_object_still_loads_and_its_duplicates_are_found() -> None:
    rows: dict[str, bytes] = {}
    events = _stream(3)
    first = [_feed(rows, event, _old_layout) for event in events]
    old = rows["S"]
    assert old.startswith(b'{"state":')
    loaded = decode_stored(old)
    assert loaded.encoded is old  # unchanged: stored again as it was read
    assert [decode_sent(line).event_id for line in loaded.recent] == ["e-0", "e-1", "e-2"]
    again = _feed(rows, events[0])
    assert again.outcome == "duplicate"
    assert _notices(again) == _notices(first[0])
    later = _feed(rows, _renewal(3))
    assert later.outcome == "applied"
    assert rows["S"].startswith(b"3\n")  # a changed value is written in format 3
    assert _feed(rows, events[1]).outcome == "duplicate"


def test_an_older_item_without_the_later_fields_loads_with_them_empty() -> None:
    old = orjson.dumps({"state": state_to_dict(STATE), "recent": [{"event_id": "e-1", "notices": [], "derived": []}]})
    assert decode_sent(decode_stored(old).recent[0]) == Sent("e-1")


def test_a_value_of_an_unknown_format_is_refused_with_its_format_named() -> None:
    with pytest.raises(ValueError, match="stored value is format '4', not the 3 this processor reads"):
        decode_stored(b"4\n{}")
