"""Personal data is masked in one place: e-mail addresses and names, well-formed or not."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lifecycle.personal import mask_address, mask_name, mask_personal


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("alice@example.com", "a***@example.com"),
        ("  robin.q@mail.example.org ", "r***@mail.example.org"),
        ("x@evil domain.example", "x***@***"),  # a domain that is not a host name is hidden too
        ("not an address", "n***"),
        ("", "***"),
    ],
)
def test_an_address_keeps_its_first_character_and_domain(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_a_name_keeps_its_first_character() -> None:
    assert mask_name(" Robin Quill ") == "R***"


def test_known_addresses_and_names_are_masked_even_when_malformed() -> None:
    text = "recipient.email: 'robin quill@@example' is not an email address; To: Robin Quill"

    masked = mask_personal(text, addresses=["robin quill@@example"], names=["Robin Quill"])

    assert masked == "recipient.email: 'r***@example' is not an email address; To: R***"


def test_a_value_quoted_by_repr_is_masked_too() -> None:
    address = "tab\there@example.com"

    masked = mask_personal(f"bad address {address!r}", addresses=[address])

    assert "here" not in masked
    assert masked == "bad address 't***@example.com'"


def test_a_short_name_masks_whole_words_only() -> None:
    assert mask_personal("Al asked; Also fine", names=["Al"]) == "A*** asked; Also fine"


def test_every_other_address_in_the_text_is_masked() -> None:
    text = "550 5.1.1 <gone@example.com>: Recipient address rejected; cc robin@example.org"

    assert mask_personal(text) == "550 5.1.1 <g***@example.com>: Recipient address rejected; cc r***@example.org"


def test_masking_twice_changes_nothing() -> None:
    once = mask_personal("to alice@example.com", names=["alice"])

    assert mask_personal(once) == once


def _seconds(text: str) -> float:
    """The shortest of a few runs of masking `text` (the least disturbed by anything else running)."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        mask_personal(text)
        runs.append(time.perf_counter() - started)
    return min(runs)


@pytest.mark.parametrize("unit", ["A", "A@", "@A", "a.", "-" * 9 + "@@"])
def test_masking_takes_time_in_proportion_to_the_text(unit: str) -> None:
    small, large = unit * (160 // len(unit)), unit * (16_000 // len(unit))

    # A hundred times the text: a hundred times the work, with room to spare, far from the ten thousand times
    # of a pattern that retries from every character of a long run.
    assert _seconds(large) < 2_000 * _seconds(small)


def test_a_long_run_without_an_address_is_left_as_it_is() -> None:
    text = "A" * 65_536

    assert mask_personal(text) == text
    assert mask_personal(text + "@example.com") == "A***@example.com"


# The pattern as first written: what masking finds must be what it found, only faster.
_FORMER = re.compile(r"[^\s@<>()\[\]{},;:\"'`]+@[^\s@<>()\[\]{},;:\"'`]+")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab.@ <'-", max_size=30))
def test_masking_finds_the_same_addresses_as_before(text: str) -> None:
    assert mask_personal(text) == _FORMER.sub(lambda match: mask_address(match.group()), text)
