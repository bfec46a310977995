"""Decode one message of the notices topic: JSON, a schema_version this notifier knows, the notice schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import schemas
from schemas.checks import newer_version
from schemas.codec import SCHEMA_VERSION, VERSION_REFUSAL


class NewerNoticeError(schemas.InvalidMessage):
    """A notice of a schema_version newer than this notifier understands: set aside, never guessed at."""


def check_notice_version(document: Mapping[str, Any]) -> None:
    """Raise NewerNoticeError when the notice's schema_version is above SCHEMA_VERSION (none reads as 1)."""
    version = newer_version(document)
    if version is not None:
        raise NewerNoticeError(
            f"notice schema_version {version} is {VERSION_REFUSAL} (the notifier knows {SCHEMA_VERSION}): "
            f"upgrade the notifier, then `lifecycle redrive --reason '{VERSION_REFUSAL}'`"
        )


def decode_notice(raw: bytes | None) -> dict[str, Any]:
    """Parse and validate one notice; raise schemas.InvalidMessage with the field and the problem."""
    if raw is None:
        raise schemas.InvalidMessage("(document): empty message")
    document = schemas.decode_object(raw)
    check_notice_version(document)  # before the schema: a newer version's fields may mean something else
    return schemas.validate("notice", document)
