"""The contract's field types: bounded text, instants, dates and enums, as msgspec constraints."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from msgspec import Meta

from schemas.checks import FIRST_YEAR, LAST_YEAR

# The schemas' pattern for identifiers and names: no C0 or C1 control characters.
TEXT_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
INSTANT_PATTERN = "^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})$"
DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$"
EMAIL_PATTERN = "^[^@\\s\\u0000-\\u001f\\u007f-\\u009f]+@[^@\\s\\u0000-\\u001f\\u007f-\\u009f]+$"
AMOUNT_PATTERN = "^[0-9]{1,7}(\\.[0-9]{1,2})?$"
CURRENCY_PATTERN = "^[A-Z]{3}$"
YEARS = f"years {FIRST_YEAR} through {LAST_YEAR}"
# JSON Schema's `$` (ECMA 262) ends the text; Python's also matches before a final newline, so msgspec, which
# matches with `re`, gets `\Z`, as fastjsonschema does. schemas/generate.py writes it back as `$`.
_DOLLAR = re.compile(r"(?<!\\)\$")
# msgspec writes a Literal's values sorted; a document's schema keeps them as written, as its readers and the
# refusals' texts list them. schemas/generate.py moves them from this key into `enum`.
WRITTEN_ORDER = "x-written-order"


def searched(pattern: str) -> str:
    """A JSON Schema pattern as Python's `re` must search it."""
    return _DOLLAR.sub(r"\\Z", pattern)


def text(min_length: int | None, max_length: int, description: str | None = None) -> Meta:
    """Identifiers and names: bounded, no control characters."""
    # The schema states the pattern; schemas/typed.py checks it for the whole document in one pass, as one
    # search per field would cost more than the rest of the decoding.
    return Meta(
        min_length=min_length,
        max_length=max_length,
        description=description,
        extra_json_schema={"pattern": TEXT_PATTERN},
    )


def length(min_length: int | None, max_length: int, description: str | None = None) -> Meta:
    """Text bounded in length only, as the pipeline's own documents state theirs."""
    return Meta(min_length=min_length, max_length=max_length, description=description)


def in_written_order(choices: Any) -> Meta:
    """A Literal whose schema lists its values in the order written."""
    return Meta(extra_json_schema={WRITTEN_ORDER: list(get_args(choices))})


def integer(low: int, high: int | None, description: str | None = None) -> Meta:
    """A bounded integer."""
    return Meta(ge=low, le=high, description=description)


def _formatted(pattern: str, form: str, description: str | None) -> Meta:
    return Meta(pattern=searched(pattern), description=description, extra_json_schema={"format": form})


def instant(description: str | None = None) -> Meta:
    """An RFC 3339 timestamp with a zone (its calendar is checked in schemas/checks.py)."""
    return _formatted(INSTANT_PATTERN, "date-time", description)


def day(description: str | None = None) -> Meta:
    """A YYYY-MM-DD date (its calendar is checked in schemas/checks.py)."""
    return _formatted(DATE_PATTERN, "date", description)


EventId = Annotated[
    str,
    text(
        1,
        100,
        "Unique per producer event; the idempotency key; at most 100 characters so the ids built from it fit theirs.",
    ),
]
SchemaVersion = Annotated[
    int,
    integer(
        1, None, "Version of this schema the producer wrote; a reader refuses a version newer than it understands."
    ),
]
OccurredAt = Annotated[str, instant(f"When it happened, RFC 3339 with a zone; {YEARS} (UTC).")]
Source = Annotated[str, text(1, 200, "The producing system.")]
Serial = Annotated[
    str, text(1, 64, "License serial; at most 64 characters so the tick and notice ids built from it fit theirs.")
]
AccountId = Annotated[str, text(1, 200)]
OrderId = Annotated[str, text(1, 100, "At most 100 characters, so the notice ids built from it fit theirs.")]
EventDay = Annotated[str, day(f"A calendar date (YYYY-MM-DD), {YEARS}.")]
TermMonths = Annotated[int, integer(1, 120, "Months of support, 1 to 120.")]
Sku = Annotated[str, text(1, 200)]
ProductName = Annotated[str, text(None, 500)]
Family = Annotated[str, text(1, 200)]
Version = Annotated[str, text(1, 50)]

Line = Literal["home", "business", "oem"]
StoreChannel = Literal["online_store", "retail_box", "partner"]
LicenseType = Literal["perpetual", "subscription", "ppi"]
Unit = Literal["os_instance", "host", "host_cpu", "machine", "deployment"]
# A subscription names its term; msgspec checks it in License.__post_init__, JSON Schema with if/then.
SUBSCRIPTION_HAS_TERM: dict[str, Any] = {
    "if": {"properties": {"type": {"const": "subscription"}}},
    "then": {"required": ["term_months"]},
}
