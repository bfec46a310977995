"""The pipeline's own output documents as typed messages: notice, holds and case decision.

schemas/json/<kind>.schema.json is generated from them (schemas/generate.py); the entitlement snapshot and the
upgrade grant are in schemas/snapshot.py, the dead letter in schemas/deadletter.py. The producers build these
documents as dicts and `validate` judges them by the schema. Decoded with msgspec, a class checks what its schema
states but the text pattern and unique channels; real calendar dates are schemas/checks.py's.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from schemas.fields import Serial, day, in_written_order, instant, length


class Document(Struct, frozen=True, kw_only=True):
    """What every output document's class states for its schema: a title and a description."""

    title: ClassVar[str]
    description: ClassVar[str]


OptionalVersion = Annotated[
    int,
    Meta(
        ge=1,
        description="The contract version of this document (1). Optional: records written before it was added "
        "carry none and read as version 1.",
    ),
]
Id = Annotated[str, length(1, 200)]
Count = Annotated[int, Meta(ge=0)]
_SupportChannel = Literal["chat", "email", "phone"]
SupportChannel = Annotated[_SupportChannel, in_written_order(_SupportChannel)]
_NoticeKind = Literal[
    "support_started",
    "expiry_reminder",
    "support_expired",
    "renewal_confirmed",
    "upgrade_granted",
    "upgrade_denied",
    "version_end_of_support",
    "ppi_added",
    "ppi_used",
]
_HeldType = Literal["purchase", "registration", "renewal", "upgrade", "case_opened"]
_Basis = Literal[
    "advantage_premier", "home_subscription", "home_perpetual", "ppi", "recovery_warranty", "customer_service", "none"
]
_CaseOption = Literal[
    "buy_ppi", "renew_subscription", "renew_advantage", "contact_oem_vendor", "knowledge_base", "use_chat_or_email"
]


class Notice(Document, frozen=True, kw_only=True):
    """One customer notice."""

    title = "Notice"
    description = "Value of the notices topic: one customer notice, with the data its template needs."
    schema_version: OptionalVersion | UnsetType = UNSET
    notice_id: Id
    kind: Annotated[_NoticeKind, in_written_order(_NoticeKind)]
    serial: Id
    account_id: Id
    due_on: Annotated[str, day()]
    lead_days: Count | UnsetType = UNSET
    data: dict[str, Any]


# Nested objects allow fields beyond these, as events do (schemas/generate.py says so in the schemas).
class Held(Struct, frozen=True, kw_only=True):
    """An event that waits for its serial's purchase."""

    event_id: Id
    type: Annotated[_HeldType, in_written_order(_HeldType)]
    occurred_at: Annotated[str, instant("The held event's own time.")]
    since: Annotated[str, instant("When the event arrived (its Kafka record time): the hold period counts from here.")]


class Holds(Document, frozen=True, kw_only=True):
    """The events that wait for one serial's purchase."""

    title = "Holds"
    description = (
        "The events that wait for one serial's purchase (value of the compacted holds topic, key serial). "
        "An empty list: nothing waits."
    )
    schema_version: Annotated[int, Meta(ge=1)]
    serial: Serial
    held: list[Held]


class CaseDecision(Document, frozen=True, kw_only=True):
    """Whether a support case may be taken."""

    title = "Case decision"
    description = (
        "Whether a support case may be taken, on what basis, and what the customer can do instead "
        "(topic <prefix>.case-decisions, key serial)."
    )
    decision_id: Annotated[
        str, length(1, 200, "decision:<serial>:<case_number>: the same case always gets the same id.")
    ]
    schema_version: Annotated[int, Meta(ge=1)]
    case_number: Annotated[str, length(1, 100)]
    serial: Annotated[str, length(1, 64)]
    account_id: Id
    decided_at: Annotated[str, instant("The case's occurred_at: decided against the entitlement on that date.")]
    eligible: bool
    basis: Annotated[_Basis, in_written_order(_Basis)]
    channels: Annotated[
        list[SupportChannel],
        Meta(
            description="The channels this case may use (empty when not eligible).",
            extra_json_schema={"uniqueItems": True},
        ),
    ]
    priority: bool
    # A nullable field written as one node with a type list, as the schema has always stated these two.
    first_response_hours: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        Meta(
            description="24 for a Severity A case under Advantage Premier; null otherwise.",
            extra_json_schema={"type": ["integer", "null"]},
        ),
    ]
    ppi_credit_used: Annotated[
        bool, Meta(description="A Pay Per Incident credit was spent on this case (once per case number).")
    ]
    ppi_credits_left: Count
    reason: Annotated[
        str | None,
        Meta(description="Why not, when not eligible.", extra_json_schema={"type": ["string", "null"]}),
    ]
    options: Annotated[
        list[Annotated[_CaseOption, in_written_order(_CaseOption)]],
        Meta(description="What the customer can do instead."),
    ]
