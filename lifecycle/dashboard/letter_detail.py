"""One dead letter in full: read from `<prefix>.deadletter` by position, its original decoded, personal data masked."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from lifecycle.kafka_config import kafka_python_config
from lifecycle.personal import mask_address, mask_name, mask_personal
from lifecycle.settings import Settings
from lifecycle.topics import DEADLETTER

PERSON_OBJECTS = ("contact", "recipient")  # objects whose `name` is a person's, not a product's
MAX_DEPTH = 100  # levels of an original shown; deeper ones are replaced by TOO_DEEP
TOO_DEEP = "(nested too deeply to show)"
MAX_PEOPLE = 32  # distinct addresses and names an original shown as text may hold
# What a parser raises on text that is not JSON; orjson raises RecursionError when called deep in the stack.
NOT_JSON = (orjson.JSONDecodeError, RecursionError)


def fetch(
    settings: Settings, positions: Iterable[tuple[int, int]], timeout: float = 15.0
) -> dict[tuple[int, int], Any]:
    """The dead-letter records at these (partition, offset) positions (kafka-python ConsumerRecords)."""
    wanted: dict[int, set[int]] = {}
    for partition, offset in positions:
        wanted.setdefault(partition, set()).add(offset)
    if not wanted:
        return {}
    topic = settings.topic(DEADLETTER.suffix)
    consumer = KafkaConsumer(enable_auto_commit=False, group_id=None, **kafka_python_config(settings))
    found: dict[tuple[int, int], Any] = {}
    try:
        parts = [TopicPartition(topic, partition) for partition in sorted(wanted)]
        consumer.assign(parts)
        ends = consumer.end_offsets(parts)
        for tp in parts:
            consumer.seek(tp, min(wanted[tp.partition]))
        last = {tp: min(max(wanted[tp.partition]) + 1, ends[tp]) for tp in parts}
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < last[tp] for tp in parts) and time.monotonic() < deadline:
            for tp, batch in consumer.poll(timeout_ms=300, max_records=2000).items():
                for record in batch:
                    if record.offset in wanted[tp.partition]:
                        found[(tp.partition, record.offset)] = record
                if batch and batch[-1].offset + 1 >= last[tp]:
                    consumer.pause(tp)
    finally:
        consumer.close()
    return found


def mask_document(value: Any, parent: str = "", depth: int = 0) -> Any:
    """A decoded JSON value with e-mail addresses and people's names masked, everything else as it was."""
    if depth > MAX_DEPTH and isinstance(value, dict | list):
        return TOO_DEEP
    if isinstance(value, dict):
        shown = {}
        for key, item in value.items():
            if key == "email" and isinstance(item, str):
                shown[key] = mask_address(item)
            elif key == "name" and parent in PERSON_OBJECTS and isinstance(item, str):
                shown[key] = mask_name(item)
            else:
                shown[key] = mask_document(item, key, depth + 1)
        return shown
    if isinstance(value, list):
        return [mask_document(item, parent, depth + 1) for item in value]
    if isinstance(value, str):
        return mask_personal(value)
    return value


def people(value: Any) -> tuple[list[str], list[str]]:
    """The e-mail addresses and people's names in a decoded JSON value (to mask them in its text), at any depth."""
    addresses: list[str] = []
    names: list[str] = []
    pending: list[tuple[Any, str]] = [(value, "")]  # a stack, not recursion: any depth the parser accepts
    while pending:
        node, parent = pending.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, item in items:
            if key == "email" and isinstance(item, str):
                addresses.append(item)
            elif key == "name" and parent in PERSON_OBJECTS and isinstance(item, str):
                names.append(item)
            elif isinstance(item, dict | list):
                pending.append((item, key if isinstance(key, str) else parent))
    return addresses, names


def mask_text(text: str) -> str:
    """Text that may be JSON (a preview) with the people it names masked, and any other address too."""
    try:
        document = orjson.loads(text)
    except NOT_JSON:
        return mask_personal(text)
    addresses, names = people(document)
    # Masking costs the text's length times the people it names: an original naming very many is not shown.
    if len(set(addresses) | set(names)) > MAX_PEOPLE:
        return f"(not shown: the original names more than {MAX_PEOPLE} people)"
    return mask_personal(text, addresses, names)


def decode_payload(payload: Any, truncated: bool) -> dict[str, Any]:
    """The original as the page shows it: decoded and masked when it is JSON, else masked text."""
    if payload is None:
        return {"format": "binary", "json": None, "text": None}
    if not isinstance(payload, str):  # a letter not written by the pipeline: its payload is shown as the JSON it is
        return {"format": "json", "json": mask_document(payload), "text": None}
    if not truncated:
        try:
            return {"format": "json", "json": mask_document(orjson.loads(payload)), "text": None}
        except NOT_JSON:
            pass
    return {"format": "text", "json": None, "text": mask_text(payload)}


def detail(partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
    """Everything about one letter except the original's raw bytes (they may hold personal data)."""
    try:
        record = orjson.loads(value or b"")
    except NOT_JSON:
        record = None
    if not isinstance(record, dict):
        return {"partition": partition, "offset": offset, "reason": "(dead letter is not a JSON object)"}
    try:
        return _described(partition, offset, record)
    except RecursionError:  # a field nested too deeply even to be written out as text
        return {"partition": partition, "offset": offset, "reason": "(dead letter nested too deeply to show)"}


def _described(partition: int, offset: int, record: dict[str, Any]) -> dict[str, Any]:
    """A letter's record as its page shows it."""
    return {
        "partition": partition,
        "offset": offset,
        "reason": mask_personal(str(record.get("reason") or "(no reason)")),
        "component": record.get("component"),
        "failed_at": record.get("failed_at"),
        # Passed through the masking too, which bounds their depth: a letter's page is always written out.
        "origin": mask_document(record.get("origin")),
        "key": mask_document(record.get("key")),
        "payload_bytes": record.get("payload_bytes"),
        "payload_sha256": record.get("payload_sha256"),
        "payload_truncated": bool(record.get("payload_truncated")),
        "can_redrive": record.get("payload_base64") is not None,
        "payload": decode_payload(record.get("payload"), bool(record.get("payload_truncated"))),
    }
