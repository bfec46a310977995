"""The agent's last step: outputs over the size limit and refused sends become dead letters, never a crash."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import pytest

from lifecycle import metrics
from lifecycle.rules import Policy, catalog_from_releases
from lifecycle.samples import events as ev
from lifecycle.topics import MAX_MESSAGE_BYTES, fits_in_a_message
from streams.delivery import STATE, UNPUBLISHED, Delivery
from streams.handler import Context, Handled, Inbound, Record, handle
from streams.stored import StoredSerial

AT = datetime(2026, 3, 1, tzinfo=UTC)
CONTEXT = Context("p", catalog_from_releases([]), Policy.with_lead_days((30,)), lambda: AT, preview_bytes=1024)


@dataclass
class Fakes:
    """A producer that refuses the topics in `refuse`, and a table that remembers what was stored."""

    refuse: set[str] = field(default_factory=set)
    sent: list[Record] = field(default_factory=list)
    stored: dict[str, bytes] = field(default_factory=dict)
    store_fails: bool = False

    async def send(self, record: Record) -> None:
        if record.suffix in self.refuse:
            raise RuntimeError(f"broker refused {record.suffix}\nsecond line")
        self.sent.append(record)

    def store(self, serial: str, stored: StoredSerial, raw: bytes, partition: int) -> None:
        if self.store_fails:
            raise OSError("disk full")
        self.stored[serial] = raw

    def finish(self, message: Inbound, handled: Handled) -> Handled:
        return asyncio.run(Delivery(self.send, self.store, "worker").finish(message, handled, CONTEXT))


def purchase(serial: str = "SN-1", notes: str = "") -> Inbound:
    document = ev.purchase("p-1", datetime(2025, 1, 6, tzinfo=UTC), serial, "acc-1", "backup-advanced", "12")
    if notes:
        document["notes"] = notes  # extra fields are allowed by the contract
    return Inbound("p.purchases", 2, 40, serial.encode(), orjson.dumps(document))


def failures(topic: str, cause: str) -> float:
    value: float = metrics.PUBLISH_FAILURES.labels("worker", topic, cause)._value.get()
    return value


def handled_for(message: Inbound) -> Handled:
    return handle(message, lambda serial: None, CONTEXT)


def test_outputs_that_fit_are_published_then_stored() -> None:
    fakes, message = Fakes(), purchase()
    done = fakes.finish(message, handled_for(message))
    assert done.outcome == "applied"
    assert [record.suffix for record in fakes.sent] == ["entitlements", "notices"]
    assert list(fakes.stored) == ["SN-1"]


def test_a_state_over_the_message_limit_is_dead_lettered_with_a_preview_and_nothing_else_goes_out() -> None:
    fakes, message = Fakes(), purchase(notes="x" * MAX_MESSAGE_BYTES)
    before = failures(STATE, "too_large")
    done = fakes.finish(message, handled_for(message))
    assert done.outcome == "deadletter"
    assert done.reason is not None
    assert done.reason.startswith("state too large: serial 'SN-1' would keep")
    (letter,) = fakes.sent
    assert letter.suffix == "deadletter"
    assert fits_in_a_message(letter.key, letter.value)
    document = orjson.loads(letter.value)
    assert (document["payload_truncated"], document["payload_bytes"]) == (True, len(message.value or b""))
    assert len(document["payload"]) <= 1024
    assert fakes.stored == {}
    assert failures(STATE, "too_large") == before + 1


def test_a_refused_send_dead_letters_the_message_with_its_reason_only() -> None:
    fakes, message = Fakes(refuse={"notices"}), purchase()
    before = failures("notices", "error")
    done = fakes.finish(message, handled_for(message))
    assert done.outcome == "deadletter"
    assert done.reason == "publishing the notices record failed (1 of 2 sent): RuntimeError: broker refused notices"
    assert [record.suffix for record in fakes.sent] == ["entitlements", "deadletter"]
    document = orjson.loads(fakes.sent[-1].value)
    assert (document["payload"], document["payload_base64"]) == (None, None)
    assert document["payload_bytes"] == len(message.value or b"")
    assert fakes.stored == {}  # the state stays as it was: the message is dead-lettered, not half applied
    assert failures("notices", "error") == before + 1


def test_when_the_dead_letter_is_refused_too_the_agent_still_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    fakes, message = Fakes(refuse={"entitlements", "deadletter"}), purchase()
    before = failures("deadletter", "error")
    done = fakes.finish(message, handled_for(message))
    assert (done.outcome, done.records) == (UNPUBLISHED, ())
    assert failures("deadletter", "error") == before + 1
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 1  # logged once
    assert "p.purchases[2]@40" in errors[0].getMessage()


def test_a_failing_store_dead_letters_the_message() -> None:
    fakes, message = Fakes(store_fails=True), purchase()
    done = fakes.finish(message, handled_for(message))
    assert done.outcome == "deadletter"
    assert done.reason == "storing the state failed: OSError: disk full"
    assert fakes.sent[-1].suffix == "deadletter"
