"""Argument types the subcommands share: a bad value is one line from argparse naming the option."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import datetime

from lifecycle.settings_types import MAX_COUNT
from schemas import InvalidMessage, parse_instant
from schemas.checks import FIRST_INSTANT, FIRST_YEAR, LAST_INSTANT, LAST_YEAR

# The longest pause an option may ask for: a year, as the settings' seconds (a longer one overflows the clocks).
MAX_SECONDS = 366 * 24 * 3600


def instant(value: str) -> datetime:
    """An RFC 3339 instant with a time zone, within the contract's years in UTC, such as 2024-05-01T00:00:00Z."""
    try:
        parsed = parse_instant(value, "instant")
    except InvalidMessage:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an RFC 3339 instant with a time zone, such as 2024-05-01T00:00:00Z"
        ) from None
    # The written year first: moving year 1 or 9999 to UTC can leave the calendar.
    if not (FIRST_YEAR <= parsed.year <= LAST_YEAR and FIRST_INSTANT <= parsed <= LAST_INSTANT):
        raise argparse.ArgumentTypeError(
            f"{value!r} is outside the years {FIRST_YEAR} through {LAST_YEAR} (UTC) the pipeline's dates span"
        )
    return parsed


def whole_number(most: int) -> Callable[[str], int]:
    """An argument type: a whole number from 1 to `most`."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = 0
        if not 1 <= number <= most:
            raise argparse.ArgumentTypeError(f"{value!r} is not a whole number from 1 to {most:,}")
        return number

    return parse


positive_int = whole_number(MAX_COUNT)


def seconds(value: str) -> float:
    """A finite number of seconds above zero, and at most a year."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and 0 < number <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a number of seconds above zero and at most {MAX_SECONDS:,} (a year), such as 3 or 0.5"
        )
    return number
