"""The dead letter as a typed message: one refused input, why it was refused and where it was read.

schemas/json/deadletter.schema.json is generated from it (schemas/generate.py); the other output documents, and
what a class checks when decoded with msgspec, are in schemas/documents.py.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from schemas.documents import Document
from schemas.fields import instant, length, searched


class Origin(Struct, frozen=True, kw_only=True):
    """Where a refused input was read."""

    topic: Annotated[str, length(1, 249)]
    partition: Annotated[int, Meta(ge=-1)]
    offset: Annotated[int, Meta(ge=-1)]


class DeadLetter(Document, frozen=True, kw_only=True):
    """One refused input and why."""

    title = "Dead letter"
    description = (
        "Value of the deadletter topic: one refused input, why it was refused, where it came from, and the input "
        "itself (whole up to LIFECYCLE_DEADLETTER_PREVIEW_BYTES, else a preview with its size and SHA-256). "
        "Key: the input's key (its first 1,024 bytes when only a preview is kept)."
    )
    reason: Annotated[
        str, length(1, 1000, "Why the input was refused: the field and the problem, or the rule it breaks.")
    ]
    origin: Annotated[
        Origin,
        Meta(
            description="Where the refused input was read: its topic, partition and offset; partition and offset "
            "are -1 for an event accepted earlier and refused later (a held event that waited too long), whose "
            "offset is long committed."
        ),
    ]
    component: Annotated[str, length(1, 200, "The process that refused it (worker, store, notifier, ...).")]
    failed_at: Annotated[str, instant("When it was refused, in UTC.")]
    payload: (
        Annotated[
            str,
            Meta(
                description="The input as UTF-8 text (only its first preview bytes when payload_truncated); null "
                "when it is not UTF-8 text or was a tombstone."
            ),
        ]
        | None
    )
    payload_base64: (
        Annotated[
            str,
            Meta(
                pattern=searched("^[A-Za-z0-9+/]*={0,2}$"),
                description="The whole input in base64, what redrive sends back; null when payload_truncated or a "
                "tombstone.",
            ),
        ]
        | None
    )
    payload_bytes: Annotated[int, Meta(ge=0, description="The input's size in bytes; null for a tombstone.")] | None
    payload_sha256: (
        Annotated[
            str,
            Meta(
                pattern=searched("^[0-9a-f]{64}$"),
                description="The SHA-256 of the whole input, in hex; null for a tombstone.",
            ),
        ]
        | None
    )
    payload_truncated: Annotated[
        bool,
        Meta(description="True when the letter keeps only a preview of the input, which redrive cannot send back."),
    ]
    key: (
        Annotated[
            str,
            Meta(
                description="The input's key as text (its first 1,024 bytes; bytes that are not UTF-8 escaped as "
                "\\xNN); null when it had none."
            ),
        ]
        | None
    )
