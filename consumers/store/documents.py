"""Record values as contract documents the store can keep: UTF-8 JSON, a known version, valid, and free of NULs."""

from __future__ import annotations

from typing import Any

from schemas import InvalidMessage, decode_object, validate
from schemas.checks import check_version


def json_text(raw: bytes | None) -> str:
    """The record value as text; a tombstone or non-UTF-8 bytes are invalid."""
    if raw is None:
        raise InvalidMessage("(document): empty value (a tombstone) is not part of the contract")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMessage("not JSON: the value is not UTF-8") from None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def check_storable(text: str, document: Any) -> None:
    """Refuse a document PostgreSQL cannot store (a NUL character in any string)."""
    if "\\u0000" in text and _has_nul(document):
        raise InvalidMessage("(document): contains a NUL character (\\u0000), which PostgreSQL cannot store")


def storable_document(raw: bytes | None, kind: str) -> tuple[str, dict[str, Any]]:
    """The record's text and its document, of a schema_version the store knows, valid as `kind` and storable."""
    text = json_text(raw)
    document = decode_object(text)
    # Before the schema: a newer version may give its fields other meanings, so the record is set aside.
    check_version(document)
    validate(kind, document)
    check_storable(text, document)
    return text, document
