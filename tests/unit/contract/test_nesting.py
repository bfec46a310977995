"""One nesting limit on every decoding path: orjson's 254 levels, whatever the line's text or the reader."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from nesting import TOO_DEEP, default_recursion_limit, nested, with_escape, with_extra

from lifecycle.emit import Outgoing, Refused, prepare_line
from lifecycle.replay.command import replay_events
from schemas import InvalidMessage, decode_event, decode_object, decode_typed
from schemas.checks import MAX_DEPTH

REFUSAL = f"not JSON: nested deeper than {MAX_DEPTH} levels"
DECODERS = [decode_event, decode_typed, decode_object]


@pytest.fixture(autouse=True)
def _default_limit() -> Iterator[None]:
    with default_recursion_limit():
        yield


def _lines(depth: int) -> list[bytes]:
    """An event nested `depth` levels, as plain text and with an escape (which takes it off the fast path)."""
    plain = with_extra(depth - 1)
    return [plain, with_escape(plain)]


@pytest.mark.parametrize("depth", [2, 253, MAX_DEPTH])
def test_an_event_within_the_limit_is_decoded_encoded_and_replayed(depth: int) -> None:
    for raw in _lines(depth):
        for given in (raw, raw.decode()):
            for decode in DECODERS:
                decode(given)
        assert isinstance(prepare_line(1, raw), Outgoing)  # orjson writes it back
        assert replay_events([raw.decode()], datetime(2030, 1, 1, tzinfo=UTC))["rejected"] == []


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 300, TOO_DEEP, 1024, 1100])
def test_a_deeper_event_is_refused_alike_by_every_path(depth: int) -> None:
    for raw in _lines(depth):
        for given in (raw, raw.decode()):
            for decode in DECODERS:
                with pytest.raises(InvalidMessage) as raised:
                    decode(given)
                assert str(raised.value) == REFUSAL
        refused = prepare_line(7, raw)
        assert isinstance(refused, Refused)
        assert str(refused) == f"line 7: {REFUSAL}"
        (rejected,) = replay_events([raw.decode()], datetime(2030, 1, 1, tzinfo=UTC))["rejected"]
        assert rejected["reason"] == REFUSAL


@pytest.mark.parametrize("decode", DECODERS)
def test_a_deep_document_of_any_shape_is_refused(decode: Callable[[Any], Any]) -> None:
    arrays = b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"
    with pytest.raises(InvalidMessage, match=f"^{REFUSAL}$"):
        decode(arrays)
    with pytest.raises(InvalidMessage, match=f"^{REFUSAL}$"):
        decode(nested(MAX_DEPTH + 1))


def test_many_brackets_side_by_side_are_no_depth() -> None:
    wide = orjson.loads(with_extra(1))
    wide["extra"] = [[{}] for _ in range(400)] + ["[[[[{{{{" * 100]
    assert decode_event(orjson.dumps(wide))["extra"][0] == [{}]


def test_nesting_within_reach_keeps_its_usual_answer() -> None:
    assert decode_event(with_extra(50))["extra"] == orjson.loads(nested(50))
    with pytest.raises(InvalidMessage, match=r"^type: None is not one of"):
        decode_event(nested(MAX_DEPTH))
