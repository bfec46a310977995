"""The inbound events as typed messages; schemas/json/<type>.schema.json is generated from them."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from schemas.checks import SCHEMA_VERSION, check_date, check_instant
from schemas.event_parts import OptionalContact, Price, Product, ReleasedProduct, SoldLicense
from schemas.fields import (
    AccountId,
    EventDay,
    EventId,
    OccurredAt,
    OrderId,
    SchemaVersion,
    Serial,
    Source,
    StoreChannel,
    TermMonths,
    integer,
    text,
)


class Event(Struct, frozen=True, gc=False, kw_only=True, tag_field="type"):
    """What every inbound event carries."""

    title: ClassVar[str]
    event_id: EventId
    schema_version: SchemaVersion
    occurred_at: OccurredAt
    source: Source

    def __post_init__(self) -> None:
        # The texts do not matter: schemas/codec.py explains every refusal with the JSON Schema and checks.py.
        if self.schema_version > SCHEMA_VERSION:
            raise ValueError("schema_version is newer than this code")
        check_instant("occurred_at", self.occurred_at)


class Purchase(Event, tag="purchase", kw_only=True, frozen=True, gc=False):
    """A product (or a Pay Per Incident credit for a registered Home product) was bought."""

    title = "Purchase"
    order_id: OrderId
    account_id: AccountId
    channel: StoreChannel
    serial: Serial
    product: Product
    license: SoldLicense
    price: Price
    contact: OptionalContact | UnsetType = UNSET


class Registration(Event, tag="registration", kw_only=True, frozen=True, gc=False):
    """A serial (or a renewal order for it) was registered to an account."""

    title = "Registration"
    account_id: AccountId
    serial: Serial
    renewal_order_id: OrderId | UnsetType = UNSET
    contact: OptionalContact | UnsetType = UNSET


class Renewal(Event, tag="renewal", kw_only=True, frozen=True, gc=False):
    """A support renewal was ordered for a serial."""

    title = "Renewal"
    renewal_order_id: OrderId
    account_id: AccountId
    serial: Serial
    term_months: TermMonths
    channel: Literal["online_store", "sales", "partner"]


class Upgrade(Event, tag="upgrade", kw_only=True, frozen=True, gc=False):
    """An upgrade from one serial to a new product serial was requested."""

    title = "Upgrade"
    account_id: AccountId
    serial: Serial
    new_serial: Annotated[str, text(1, 64, "Serial of the product upgraded to; at most 64 characters, as serial.")]
    to_product: Product


class Release(Event, tag="release", kw_only=True, frozen=True, gc=False):
    """A product version was released."""

    title = "Release"
    product: ReleasedProduct
    released_on: EventDay

    def __post_init__(self) -> None:
        super().__post_init__()
        check_date("released_on", self.released_on)


class Tick(Event, tag="tick", kw_only=True, frozen=True, gc=False):
    """Internal: something may fall due for a serial (emitted by the scheduler)."""

    title = "Tick"
    serial: Serial
    kind: Literal["reminder", "expiry", "version_check", "hold_expiry"]
    due_on: EventDay
    lead_days: (
        Annotated[int, integer(0, 3660, "Days before expiry, 0 to 3660 (the longest term, 120 months).")] | UnsetType
    ) = UNSET

    def __post_init__(self) -> None:
        super().__post_init__()
        check_date("due_on", self.due_on)


class CaseOpened(Event, tag="case_opened", kw_only=True, frozen=True, gc=False):
    """The CRM opened a support case for a serial (topic <prefix>.cases, key serial): may it be taken, and how."""

    title = "Case opened"
    case_number: Annotated[
        str,
        text(
            1,
            100,
            "The CRM's Case Number: one decision per case number, and at most one Pay Per Incident credit spent; "
            "at most 100 characters so the ids built from it fit theirs.",
        ),
    ]
    serial: Serial
    account_id: AccountId
    category: Annotated[
        Literal["technical", "customer_service", "recovery"],
        Meta(
            description="technical issue; customer service (download, web site, account, serial number questions); "
            "recovery (restoring data from a backup archive)."
        ),
    ]
    severity: Annotated[Literal["A", "B", "C", "D"], Meta(description="A is the most severe.")]
    channel: Annotated[Literal["chat", "email", "phone"], Meta(description="How the customer asks to be helped.")]


AnyEvent = Purchase | Registration | Renewal | Upgrade | Release | Tick | CaseOpened
EVENT_CLASSES: dict[str, type[Event]] = {
    "purchase": Purchase,
    "registration": Registration,
    "renewal": Renewal,
    "upgrade": Upgrade,
    "release": Release,
    "tick": Tick,
    "case_opened": CaseOpened,
}
