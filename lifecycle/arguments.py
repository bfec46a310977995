"""Argument types the subcommands share: a bad value is one line from argparse naming the option."""

from __future__ import annotations

import argparse
from datetime import datetime

from schemas import InvalidMessage, parse_instant


def instant(value: str) -> datetime:
    """An RFC 3339 instant with a time zone, such as 2024-05-01T00:00:00Z."""
    try:
        return parse_instant(value, "instant")
    except InvalidMessage:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an RFC 3339 instant with a time zone, such as 2024-05-01T00:00:00Z"
        ) from None


def positive_int(value: str) -> int:
    """A whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return number
