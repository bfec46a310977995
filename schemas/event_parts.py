"""The objects nested in the inbound events: the product, the license, the price and the contact."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from schemas.fields import (
    AMOUNT_PATTERN,
    CURRENCY_PATTERN,
    EMAIL_PATTERN,
    SUBSCRIPTION_HAS_TERM,
    Family,
    LicenseType,
    Line,
    ProductName,
    Sku,
    TermMonths,
    Unit,
    Version,
    integer,
    searched,
    text,
)


# Nested objects allow fields beyond these, as events do (schemas/generate.py says so in the schemas).
class Product(Struct, frozen=True, gc=False):
    """A product as sold."""

    sku: Sku
    name: ProductName
    line: Line
    family: Family
    version: Version


class ReleasedProduct(Struct, frozen=True, gc=False):
    """A product version as released."""

    line: Line
    family: Family
    version: Version


class License(Struct, frozen=True, gc=False, kw_only=True):
    """What was licensed: its type, term, quantity and unit."""

    type: LicenseType
    term_months: TermMonths | UnsetType = UNSET
    quantity: Annotated[int, integer(1, 100_000, "Licenses bought (incident credits for ppi), 1 to 100000.")]
    unit: Unit

    def __post_init__(self) -> None:
        if self.type == "subscription" and self.term_months is UNSET:
            raise ValueError("a subscription needs term_months")


class Price(Struct, frozen=True, gc=False):
    """A price: a decimal amount as text and its currency."""

    amount: Annotated[
        str, Meta(pattern=searched(AMOUNT_PATTERN), description='Decimal as a string, 0 to 9999999.99, e.g. "49.99".')
    ]
    currency: Annotated[str, Meta(pattern=searched(CURRENCY_PATTERN))]


class Contact(Struct, frozen=True, gc=False):
    """Where notices for a license go."""

    email: Annotated[str, Meta(pattern=searched(EMAIL_PATTERN), max_length=254)]
    name: Annotated[str, text(None, 200)] | UnsetType = UNSET


SoldLicense = Annotated[License, Meta(extra_json_schema=SUBSCRIPTION_HAS_TERM)]
OptionalContact = Annotated[
    Contact, Meta(description="Optional: where notices for this license go (added in schema_version 1; optional).")
]
