"""Personal data is masked in one place: e-mail addresses and names, well-formed or not."""

from __future__ import annotations

import pytest

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
