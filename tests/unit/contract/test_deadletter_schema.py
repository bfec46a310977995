"""Every dead letter that lifecycle/deadletter.py makes validates against schemas/json/deadletter.schema.json."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.deadletter import DEFAULT_PREVIEW_BYTES, REASON_CHARS, deadletter_record
from schemas import InvalidMessage, validate

FAILED_AT = datetime(2026, 3, 15, 11, 20, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
EVENT = orjson.dumps({"event_id": "e-1", "type": "renewal", "serial": "S-1", "note": "Sécurité"})


@pytest.mark.parametrize(
    ("key", "value", "preview_bytes"),
    [
        (b"S-1", EVENT, DEFAULT_PREVIEW_BYTES),  # kept whole, as text and base64
        (None, b"\xff\xfe\x00not utf-8", DEFAULT_PREVIEW_BYTES),  # no text, base64 only
        (b"backup/12", None, DEFAULT_PREVIEW_BYTES),  # a tombstone
        (b"S-1", EVENT * 4, 64),  # only a preview, with size and SHA-256
        (b"\xff" * 2_000, b"{}", 16),  # a long key that is not UTF-8
        (b"S-1", b"\x00\x01\x1f" * 100, 40),  # control characters escaped in the preview
        (b"", b"", DEFAULT_PREVIEW_BYTES),  # empty key and value
    ],
    ids=["whole", "binary", "tombstone", "preview", "long-binary-key", "control-characters", "empty"],
)
def test_real_dead_letters_validate(key: bytes | None, value: bytes | None, preview_bytes: int) -> None:
    letter = orjson.loads(deadletter_record("why", "p.renewals", 2, 41, key, value, "worker", FAILED_AT, preview_bytes))
    assert validate("deadletter", letter) == letter


def test_a_letter_refused_later_without_an_offset_validates() -> None:
    letter = orjson.loads(deadletter_record("no purchase", "p.renewals", -1, -1, b"S", EVENT, "worker", FAILED_AT))
    assert validate("deadletter", letter)["origin"] == {"topic": "p.renewals", "partition": -1, "offset": -1}


@settings(max_examples=200, deadline=None)
@given(
    reason=st.text(min_size=1, max_size=REASON_CHARS * 2),
    key=st.none() | st.binary(max_size=1_500),
    value=st.none() | st.binary(max_size=300),
    preview_bytes=st.integers(min_value=0, max_value=400),
)
def test_any_input_makes_a_valid_letter(
    reason: str, key: bytes | None, value: bytes | None, preview_bytes: int
) -> None:
    letter = orjson.loads(deadletter_record(reason, "t", 0, 0, key, value, "store", datetime.now(UTC), preview_bytes))
    validate("deadletter", letter)


def test_a_letter_without_its_origin_is_refused_naming_it() -> None:
    letter = orjson.loads(deadletter_record("why", "t", 0, 0, b"k", b"v", "notifier", FAILED_AT))
    del letter["origin"]
    with pytest.raises(InvalidMessage, match="must contain"):
        validate("deadletter", letter)
