"""The agent's last step for one message: publish what it decided, never letting one message stop the agent.

Before anything is sent, every record and the serial's new stored value are checked against the message size
limit (`lifecycle.topics.MAX_MESSAGE_BYTES`): a message whose outputs would not fit is dead-lettered instead,
with its reason, and nothing of it is published or stored. A record the producer still refuses is logged once,
counted in `lifecycle_publish_failures_total`, and the message is dead-lettered with a letter that holds only
its reason and origin (with the original's size and SHA-256), which always fits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from lifecycle import metrics
from lifecycle.topics import DEADLETTER, MAX_MESSAGE_BYTES, RECORD_OVERHEAD_BYTES, fits_in_a_message
from streams.handler import Context, Handled, Inbound, Record, dead_letter
from streams.stored import StoredSerial, encode_stored

log = logging.getLogger(__name__)

STATE = "changelog"  # the topic label of the serial's stored value (the table's changelog)
UNPUBLISHED = "unpublished"  # the outcome of a message whose dead letter could not be published either


class PublishFailed(Exception):
    """The producer refused a record: which topic, how many records of the message went out before it, and why."""

    def __init__(self, suffix: str, sent: int, total: int, cause: BaseException) -> None:
        super().__init__(f"publishing the {suffix} record failed ({sent} of {total} sent): {_describe(cause)}")
        self.suffix = suffix


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _size(key: bytes | None, value: bytes | None) -> int:
    return len(key or b"") + len(value or b"") + RECORD_OVERHEAD_BYTES


def too_large(records: tuple[Record, ...], serial: str | None, stored: bytes | None) -> tuple[str, str] | None:
    """(topic label, reason) of the first output over the message size limit; None when everything fits."""
    limit = f"over the {MAX_MESSAGE_BYTES} bytes a message may have"
    for record in records:
        if not fits_in_a_message(record.key, record.value):
            size = _size(record.key, record.value)
            return record.suffix, f"output too large: its {record.suffix} record would be {size} bytes, {limit}"
    key = None if serial is None else serial.encode()
    if stored is not None and not fits_in_a_message(key, stored):
        return STATE, f"state too large: serial {serial!r} would keep {_size(key, stored)} bytes, {limit}"
    return None


@dataclass
class Delivery:
    """Publishes through `send` (one call per record) and keeps state through `store`; never raises."""

    send: Callable[[Record], Awaitable[Any]]
    store: Callable[[str, StoredSerial, bytes, int], None]
    component: str

    async def finish(self, message: Inbound, handled: Handled, context: Context) -> Handled:
        """Publish and store what handling decided; what would not fit, or cannot be published, is dead-lettered."""
        serial, stored = handled.serial, handled.stored
        # Encoded per message, not once at the batch's write: the message that takes the value over the limit is the
        # one dead-lettered, and the next applies to the value before it. A value's size can also fall again (its
        # reorder window passes, a hold runs out), so one check at the write could keep a message this check refuses.
        # The encoding is kept (StoredSerial.encoded) and is what the write stores: a serial with one message in a
        # batch is encoded once.
        raw = encode_stored(stored) if serial is not None and stored is not None else None
        oversized = too_large(handled.records, serial, raw)
        if oversized is not None:
            label, reason = oversized
            metrics.PUBLISH_FAILURES.labels(self.component, label, "too_large").inc()
            log.warning("%s: dead-lettered: %s", _where(message), reason)
            handled, raw = dead_letter(message, reason, context, "deadletter"), None
        try:
            await self.publish(handled.records)
        except PublishFailed as failure:
            return await self.fail(message, failure.suffix, str(failure), context)
        if raw is not None and serial is not None and stored is not None:
            try:
                self.store(serial, stored, raw, message.partition)
            except Exception as exc:
                return await self.fail(message, STATE, f"storing the state failed: {_describe(exc)}", context)
        return handled

    async def publish(self, records: tuple[Record, ...]) -> None:
        """Send every record in order; PublishFailed names the first the producer refused."""
        for sent, record in enumerate(records):
            try:
                await self.send(record)
            except Exception as exc:
                raise PublishFailed(record.suffix, sent, len(records), exc) from exc

    async def fail(self, message: Inbound, label: str, reason: str, context: Context) -> Handled:
        """Count the failure, log it once, and dead-letter the message with its reason and origin only."""
        metrics.PUBLISH_FAILURES.labels(self.component, label, "error").inc()
        letter = dead_letter(message, reason, context, "deadletter", preview=False)
        try:
            await self.publish(letter.records)
        except PublishFailed as failure:
            metrics.PUBLISH_FAILURES.labels(self.component, DEADLETTER.suffix, "error").inc()
            log.error("%s: %s; its dead letter was not published either: %s", _where(message), reason, failure)
            return Handled(UNPUBLISHED, reason=reason)
        log.error("%s: %s; dead-lettered", _where(message), reason)
        return letter


def _where(message: Inbound) -> str:
    return f"{message.topic}[{message.partition}]@{message.offset}"
