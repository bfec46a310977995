"""One inbound message through the rules: decode, check its routing, apply, and say what to publish and store.

No Kafka or Faust here: the agent gives a message and the serial's stored value, and publishes and stores
what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

import schemas
from lifecycle.deadletter import DEFAULT_PREVIEW_BYTES, deadletter_key, deadletter_record
from lifecycle.rules import Catalog, Outcome, Policy, apply_event, event_time
from lifecycle.topics import CASE_DECISIONS, DEADLETTER, HOLDS, TOPIC_BY_EVENT_TYPE, UPGRADE_GRANTS
from streams.sent import Sent
from streams.stored import StoredSerial

COMPONENT = "processor"
GRANT_TYPE = "upgrade_grant"


@dataclass(frozen=True)
class Inbound:
    """A message as it came off the broker."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: datetime | None = None  # the record's time on the broker: when it arrived


@dataclass(frozen=True)
class Record:
    """A message to publish: topic suffix, key and value."""

    suffix: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class Handled:
    """What handling one message decided: records to publish, the serial's new stored value, an outcome label."""

    outcome: str  # applied | held | duplicate | unchanged | rejected | deadletter
    records: tuple[Record, ...] = ()
    serial: str | None = None
    stored: StoredSerial | None = None  # None: leave the table as it is
    reason: str | None = None


@dataclass(frozen=True)
class Context:
    """What every message is handled against: the topic prefix, the current catalog, the policy and a wall clock."""

    prefix: str
    catalog: Catalog
    policy: Policy
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    preview_bytes: int = DEFAULT_PREVIEW_BYTES  # of a refused input its dead letter keeps


def handle(message: Inbound, load: Callable[[str], StoredSerial | None], context: Context) -> Handled:
    """Handle one message; never raises (any failure becomes a dead-letter record)."""
    try:
        event = _decode(message, context.prefix)
        _check_key(message, event)
        return _apply(message, event, load(event["serial"]), context)
    except schemas.InvalidMessage as exc:
        return dead_letter(message, str(exc), context, "deadletter")
    except Exception as exc:  # one bad message must never stop the stream
        return dead_letter(message, f"processing failed: {type(exc).__name__}: {exc}", context, "deadletter")


def dead_letter(message: Inbound, reason: str, context: Context, outcome: str, *, preview: bool = True) -> Handled:
    """A dead-letter record for the message, keyed by its original key; without `preview`, reason and origin only."""
    preview_bytes = context.preview_bytes if preview else 0
    value = deadletter_record(
        reason,
        message.topic,
        message.partition,
        message.offset,
        message.key,
        message.value,
        COMPONENT,
        context.now(),
        preview_bytes,
    )
    key = deadletter_key(message.key, message.value, preview_bytes)
    return Handled(outcome, (Record(DEADLETTER.suffix, key, value),), reason=reason)


def _decode(message: Inbound, prefix: str) -> dict[str, Any]:
    if message.value is None:
        raise schemas.InvalidMessage("(document): empty message (no value)")
    if message.topic == UPGRADE_GRANTS.name(prefix):
        return _decode_grant(message.value)
    event = schemas.decode_event(message.value)
    expected = TOPIC_BY_EVENT_TYPE[event["type"]].name(prefix)
    if message.topic != expected:
        raise schemas.InvalidMessage(f"type: a {event['type']} event belongs on {expected}, not {message.topic}")
    return event


def _decode_grant(raw: bytes) -> dict[str, Any]:
    event = schemas.decode_object(raw)
    if event.get("type") != GRANT_TYPE:
        raise schemas.InvalidMessage(f"type: only {GRANT_TYPE} events belong on the upgrade-grants topic")
    return schemas.validate(GRANT_TYPE, event)


def _check_key(message: Inbound, event: dict[str, Any]) -> None:
    serial: str = event["serial"]
    if message.key != serial.encode():
        shown = None if message.key is None else message.key.decode("utf-8", errors="backslashreplace")
        raise schemas.InvalidMessage(f"key: {shown!r} is not the event's serial {serial!r}")


def _apply(message: Inbound, event: dict[str, Any], stored: StoredSerial | None, context: Context) -> Handled:
    serial: str = event["serial"]
    event_id: str = event["event_id"]
    if stored is not None and (sent := stored.sent_for(event_id)) is not None:
        # Applied before, maybe without its outputs or its changelog record reaching the broker (a crash):
        # send them again, and store the value again so the changelog holds it.
        records = _records(serial, stored.state.snapshot, sent, stored)
        return Handled("duplicate", (*_letter(message, sent, context), *records), serial, stored, sent.rejection)
    state = stored.state if stored is not None else None
    clock = event_time(event)
    outcome: Outcome = apply_event(state, event, clock, context.catalog, context.policy, message.timestamp)
    if outcome.rejection is not None and (outcome.state is None or outcome.state == state):
        return dead_letter(message, outcome.rejection, context, "rejected")  # not kept: too old for the window
    snapshot = outcome.snapshot
    quiet = not (snapshot or outcome.notices or outcome.derived or outcome.refused or outcome.decisions)
    if outcome.state is None or (quiet and outcome.state == state):  # a refusal kept changed the state
        return Handled("unchanged", (), serial)
    refused = tuple(refusal(held, reason, context) for held, reason in outcome.refused)
    sent = Sent(
        event_id, outcome.notices, outcome.derived, refused, outcome.holds_changed, outcome.decisions, outcome.rejection
    )
    base = stored if stored is not None else StoredSerial(outcome.state)
    after = base.after(outcome.state, sent)
    records = (*_letter(message, sent, context), *_records(serial, snapshot, sent, after))
    return Handled(_label(outcome, event_id), records, serial, after, outcome.rejection)


def _letter(message: Inbound, sent: Sent, context: Context) -> tuple[Record, ...]:
    """The dead letter of an event refused and kept all the same (R14), from the message that brought it."""
    return () if sent.rejection is None else dead_letter(message, sent.rejection, context, "rejected").records


def _label(outcome: Outcome, event_id: str) -> str:
    if outcome.rejection is not None:
        return "rejected"
    assert outcome.state is not None
    return "held" if any(hold.event_id == event_id for hold in outcome.state.holds) else "applied"


def refusal(event: Mapping[str, Any], reason: str, context: Context) -> bytes:
    """The dead letter of an event accepted earlier and refused now: `lifecycle redrive` sends it back."""
    topic = UPGRADE_GRANTS if event["type"] == GRANT_TYPE else TOPIC_BY_EVENT_TYPE[event["type"]]
    key = str(event["serial"]).encode()
    # Its offset is long committed: the origin names the topic, and the event is the original's document.
    return deadletter_record(
        reason,
        topic.name(context.prefix),
        -1,
        -1,
        key,
        orjson.dumps(event),
        COMPONENT,
        context.now(),
        context.preview_bytes,
    )


def _records(serial: str, snapshot: dict[str, Any] | None, sent: Sent, stored: StoredSerial) -> tuple[Record, ...]:
    key = serial.encode()
    records = [Record("entitlements", key, schemas.encode(snapshot))] if snapshot is not None else []
    records += [Record("notices", key, schemas.encode(notice)) for notice in sent.notices]
    records += [
        Record(UPGRADE_GRANTS.suffix, str(grant["serial"]).encode(), schemas.encode(grant)) for grant in sent.derived
    ]
    records += [Record(CASE_DECISIONS.suffix, key, schemas.encode(decision)) for decision in sent.decisions]
    records += [Record(DEADLETTER.suffix, key, letter) for letter in sent.refused]
    if sent.holds_changed:
        holds = {"schema_version": 1, "serial": serial, "held": [hold.document() for hold in stored.state.holds]}
        records.append(Record(HOLDS.suffix, key, schemas.encode(holds)))
    return tuple(records)
