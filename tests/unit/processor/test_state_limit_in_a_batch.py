"""The serial's value-bytes limit inside one batch: the message that crosses it is the one dead-lettered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson

from lifecycle.rules import Policy, catalog_from_releases
from lifecycle.samples import events as ev
from lifecycle.topics import MAX_MESSAGE_BYTES, fits_in_a_message
from streams.batch import SerialBatch
from streams.delivery import Delivery
from streams.handler import Context, Handled, Inbound, Record, handle

AT = datetime(2026, 3, 1, tzinfo=UTC)
CONTEXT = Context("p", catalog_from_releases([]), Policy.with_lead_days((30,)), lambda: AT, preview_bytes=1024)
NOTES = "x" * (MAX_MESSAGE_BYTES * 2 // 5)  # two such events fit in a serial's value, three do not


def purchase(notes: str) -> Inbound:
    document = ev.purchase("p-0", datetime(2025, 1, 6, tzinfo=UTC), "SN-1", "acc-1", "backup-advanced", "12")
    document["notes"] = notes  # extra fields are allowed by the contract
    return Inbound("p.purchases", 2, 40, b"SN-1", orjson.dumps(document))


def renewal(number: int, notes: str) -> Inbound:
    document = ev.renewal(f"r-{number}", datetime(2025, 2, number, tzinfo=UTC), "SN-1", "acc-1", f"order-{number}")
    document["notes"] = notes
    return Inbound("p.renewals", 2, 50 + number, b"SN-1", orjson.dumps(document))


def test_within_a_batch_only_the_message_over_the_limit_is_dead_lettered_and_the_next_applies() -> None:
    sent: list[Record] = []

    async def send(record: Record) -> None:
        sent.append(record)

    batch = SerialBatch(lambda serial: None)
    delivery = Delivery(send, batch.store, "worker")

    def finish(message: Inbound) -> Handled:
        return asyncio.run(delivery.finish(message, handle(message, batch.load, CONTEXT), CONTEXT))

    outcomes = [finish(message) for message in (purchase(NOTES), renewal(1, NOTES), renewal(2, NOTES), renewal(3, ""))]
    assert [done.outcome for done in outcomes] == ["applied", "applied", "deadletter", "applied"]
    assert (outcomes[2].reason or "").startswith("state too large: serial 'SN-1' would keep")
    ((serial, stored, raw, _),) = list(batch.flush())  # one write for the serial, of its last value
    assert serial == "SN-1"
    assert fits_in_a_message(b"SN-1", raw)
    assert [stored.state.applied(f"r-{number}") for number in (1, 2, 3)] == [True, False, True]
    assert [record.suffix for record in sent].count("deadletter") == 1
