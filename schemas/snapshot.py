"""The entitlement snapshot and the upgrade grant that starts a new serial's, as typed documents.

schemas/json/entitlement.schema.json and upgrade_grant.schema.json are generated from them (schemas/generate.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from schemas.documents import Count, Document, Id, OptionalVersion, SupportChannel
from schemas.event_parts import Contact
from schemas.fields import (
    SUBSCRIPTION_HAS_TERM,
    AccountId,
    Family,
    LicenseType,
    Line,
    ProductName,
    SchemaVersion,
    Serial,
    Sku,
    StoreChannel,
    Unit,
    Version,
    day,
    in_written_order,
    instant,
    length,
    text,
)

Instant = Annotated[str, instant()]
Day = Annotated[str, day()]
WrittenLine = Annotated[Line, in_written_order(Line)]
Channel = Annotated[StoreChannel, in_written_order(StoreChannel)]
_Program = Literal["home_perpetual", "home_subscription", "advantage_premier", "none"]
Program = Annotated[_Program, in_written_order(_Program)]
_Status = Literal["pending_registration", "active", "expired", "superseded", "no_support", "version_unsupported"]
_Hours = Literal["24x7", "business_hours"]


# Nested objects allow fields beyond these, as events do (schemas/generate.py says so in the schemas).
class EntitledProduct(Struct, frozen=True, kw_only=True):
    """The product of an entitlement."""

    sku: Id
    name: ProductName
    line: WrittenLine
    family: Id
    version: Annotated[str, length(1, 50)]


class GrantedProduct(Struct, frozen=True, kw_only=True):
    """The product of an upgrade grant: the contract's text checks, as the upgrade carried it."""

    sku: Sku
    name: ProductName
    line: WrittenLine
    family: Family
    version: Version


class EntitledLicense(Struct, frozen=True, kw_only=True):
    """What was licensed, as the snapshot states it (no ceiling on the quantity)."""

    type: Annotated[LicenseType, in_written_order(LicenseType)]
    term_months: Annotated[int, Meta(ge=1, le=120)] | UnsetType = UNSET
    quantity: Annotated[int, Meta(ge=1)]
    unit: Annotated[Unit, in_written_order(Unit)]

    def __post_init__(self) -> None:
        if self.type == "subscription" and self.term_months is UNSET:
            raise ValueError("a subscription needs term_months")


class Support(Struct, frozen=True, kw_only=True):
    """The support program a serial has now."""

    program: Program
    starts_on: Day | None
    expires_on: Day | None
    channels: Annotated[list[SupportChannel], Meta(extra_json_schema={"uniqueItems": True})]
    hours: Annotated[_Hours, in_written_order(_Hours)]
    priority: bool
    ppi_credits: Count
    recovery_warranty: bool
    free_upgrades: bool


class PendingRenewal(Struct, frozen=True, kw_only=True):
    """A renewal ordered and not yet applied."""

    renewal_order_id: Id
    term_months: Annotated[int, Meta(ge=1)]


License = Annotated[EntitledLicense, Meta(extra_json_schema=SUBSCRIPTION_HAS_TERM)]


class Entitlement(Document, frozen=True, kw_only=True):
    """The whole current entitlement of one serial."""

    title = "Entitlement snapshot"
    description = "Value of the entitlements topic: the whole current entitlement of one serial."
    schema_version: OptionalVersion | UnsetType = UNSET
    serial: Serial
    account_id: AccountId
    revision: Annotated[int, Meta(ge=1)]
    product: EntitledProduct
    channel: Channel
    license: License
    status: Annotated[_Status, in_written_order(_Status)]
    purchased_at: Instant
    registered_at: Instant | None
    support: Support
    pending_renewals: list[PendingRenewal]
    upgraded_from: Serial | None
    upgraded_to: Serial | None
    version_supported: bool
    updated_at: Instant
    last_event_id: Id
    contact: Contact | UnsetType | None = UNSET


class UpgradeGrant(Document, frozen=True, kw_only=True, tag_field="type", tag="upgrade_grant"):
    """A free upgrade granted: the new serial starts with the source's program and expiry."""

    title = "Upgrade grant"
    description = (
        "Internal to the processor: a free upgrade was granted, and the new serial's entitlement starts with the "
        "source's program and expiry (R9). Written by the processor to the upgrade-grants topic, read back by it "
        "on the new serial's partition."
    )
    event_id: Annotated[
        str,
        text(
            1,
            200,
            "The upgrade's event_id, then `:grant:`, the expiry it carries (or `none`), `:` and the source revision "
            "it was made from: a grant for a newly known expiry, or one sent again, is a new event.",
        ),
    ]
    schema_version: SchemaVersion
    occurred_at: Annotated[str, instant("The upgrade's occurred_at.")]
    source: Annotated[Literal["lifecycle-processor"], Meta(description="The processor, the only writer of grants.")]
    serial: Annotated[
        str, text(1, 64, "The new serial (the upgrade's new_serial): the grant is keyed and applied here.")
    ]
    account_id: AccountId
    upgraded_from: Annotated[str, text(1, 64, "The source serial, now superseded.")]
    product: GrantedProduct
    channel: Channel
    license: License
    program: Program
    expires_on: Annotated[
        Day | None,
        Meta(
            description="The source's expiry, carried over; null: no expiry. On or before the upgrade's day, the grant "
            "takes back an earlier one of the same upgrade, and the new serial has no support from it (R9)."
        ),
    ]
    contact: Contact | UnsetType | None = UNSET
    source_revision: (
        Annotated[
            int,
            Meta(
                ge=0,
                description="The source's revision the grant was made from; a grant from a higher one replaces the "
                "one before.",
            ),
        ]
        | UnsetType
    ) = UNSET
