"""The processor's handler, its state stored and read back each message, ends where the rules alone do."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import Journey
from test_arrival_orders import BACKFILLED, CATALOG, WIDE, _histories

from lifecycle.rules.calendar import day_start
from lifecycle.rules.due import tick_event
from lifecycle.topics import TOPIC_BY_EVENT_TYPE, UPGRADE_GRANTS
from streams.handler import Context, Inbound, handle
from streams.stored import StoredSerial, decode_stored, encode_stored

PREFIX = "t"
CONTEXT = Context(PREFIX, CATALOG, WIDE, now=lambda: BACKFILLED)
UNTIL = day_start(BACKFILLED.date().replace(day=15))  # before the holds run out (see test_arrival_orders)


class Worker:
    """The handler over an encoded table, each grant it sends handled at once (as `Journey` sends derived events)."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes] = {}
        self.offset = 0
        self.notices: set[str] = set()
        self.letters: list[str] = []

    def load(self, serial: str) -> StoredSerial | None:
        raw = self.rows.get(serial)
        return None if raw is None else decode_stored(raw)

    def feed(self, topic: str, value: bytes, serial: str) -> None:
        self.offset += 1
        handled = handle(Inbound(topic, 0, self.offset, serial.encode(), value, BACKFILLED), self.load, CONTEXT)
        if handled.stored is not None and handled.serial is not None:
            self.rows[handled.serial] = encode_stored(handled.stored)
        for record in handled.records:
            document = orjson.loads(record.value)
            if record.suffix == "notices":
                self.notices.add(document["notice_id"])
            elif record.suffix == "deadletter":
                self.letters.append(document["reason"])
            elif record.suffix == UPGRADE_GRANTS.suffix:
                self.feed(UPGRADE_GRANTS.name(PREFIX), record.value, document["serial"])

    def send(self, event: dict[str, Any]) -> None:
        self.feed(TOPIC_BY_EVENT_TYPE[event["type"]].name(PREFIX), orjson.dumps(event), event["serial"])

    def snapshots(self) -> dict[str, Any]:
        return {serial: decode_stored(raw).state.snapshot for serial, raw in self.rows.items()}


@settings(max_examples=400, deadline=None)
@given(_histories(hours=24 * 900), st.randoms(use_true_random=False))
def test_any_arrival_order_through_the_handler_ends_as_the_rules_do(events: list[dict[str, Any]], rng: Any) -> None:
    """Held, kept, refused and taken-back states survive being stored: snapshots, notices and dead letters agree."""
    rng.shuffle(events)
    trip, worker = Journey(CATALOG, WIDE, arrived_at=BACKFILLED), Worker()
    trip.send(*events)
    for event in events:
        worker.send(event)
    for serial in sorted(trip.states):
        trip.wait_until(UNTIL.date())
        worker.send(tick_event(serial, "reminder", UNTIL.date()))
    assert worker.snapshots() == {serial: state.snapshot for serial, state in trip.states.items()}
    assert worker.notices == {notice["notice_id"] for notice in trip.notices}
    assert sorted(worker.letters) == sorted([*trip.rejections, *(reason for _, reason in trip.refused)])
