"""A line nested too deeply for the decoder is a refused message, never a RecursionError, on every decoding path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from nesting import TOO_DEEP, default_recursion_limit, nested, with_extra

from schemas import InvalidMessage, decode_event, decode_typed


@pytest.fixture(autouse=True)
def _default_limit() -> Iterator[None]:
    with default_recursion_limit():
        yield


@pytest.mark.parametrize("decode", [decode_event, decode_typed])
@pytest.mark.parametrize("raw", [nested(TOO_DEEP), with_extra(TOO_DEEP)], ids=["document", "extra-field"])
def test_a_deeply_nested_line_is_refused_as_nested_too_deeply(decode: Callable[[Any], Any], raw: bytes) -> None:
    for given in (raw, raw.decode()):
        with pytest.raises(InvalidMessage, match=r"^not JSON: nested too deeply$"):
            decode(given)


def test_nesting_within_reach_keeps_its_usual_answer() -> None:
    assert decode_event(with_extra(50))["extra"] == orjson.loads(nested(50))
    with pytest.raises(InvalidMessage, match=r"^type: None is not one of"):
        decode_event(nested(50))
