"""The event contract: JSON Schemas and the one module that validates and (de)serializes them."""

from schemas.codec import (
    EVENT_TYPES,
    InvalidMessage,
    decode_event,
    decode_object,
    decode_typed,
    encode,
    parse_date,
    parse_instant,
    validate,
)

__all__ = [
    "EVENT_TYPES",
    "InvalidMessage",
    "decode_event",
    "decode_object",
    "decode_typed",
    "encode",
    "parse_date",
    "parse_instant",
    "validate",
]
