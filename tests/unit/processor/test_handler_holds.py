"""The processor's handler with held events (R14a): what it publishes and stores, without Kafka or faust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from lifecycle.rules import Policy
from lifecycle.rules.calendar import day_start
from lifecycle.rules.due import tick_event
from lifecycle.samples import events as ev
from lifecycle.topics import TOPIC_BY_EVENT_TYPE
from schemas import validate
from streams.handler import Context, Handled, Inbound, handle
from streams.stored import StoredSerial, decode_stored, encode_stored

PREFIX = "t"
ARRIVED = datetime(2026, 12, 1, 9, tzinfo=UTC)
CONTEXT = Context(PREFIX, {}, Policy(), now=lambda: ARRIVED)


class Table:
    """The serial table as the agent keeps it: encoded values, so every load decodes what was stored."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes] = {}
        self.offset = 0

    def load(self, serial: str) -> StoredSerial | None:
        raw = self.rows.get(serial)
        return None if raw is None else decode_stored(raw)

    def feed(self, event: dict[str, Any], arrived: datetime = ARRIVED) -> Handled:
        self.offset += 1
        topic = TOPIC_BY_EVENT_TYPE[event["type"]].name(PREFIX)
        message = Inbound(topic, 0, self.offset, event["serial"].encode(), orjson.dumps(event), arrived)
        handled = handle(message, self.load, CONTEXT)
        if handled.stored is not None and handled.serial is not None:
            self.rows[handled.serial] = encode_stored(handled.stored)
        return handled


def _values(handled: Handled, suffix: str) -> list[dict[str, Any]]:
    return [orjson.loads(record.value) for record in handled.records if record.suffix == suffix]


def test_a_renewal_before_its_purchase_is_held_and_published_as_held() -> None:
    table = Table()
    renewal = ev.renewal("n", datetime(2025, 12, 1, tzinfo=UTC), "S", "a", "ro1", 12, "online_store")
    handled = table.feed(renewal)
    assert handled.outcome == "held"
    assert _values(handled, "deadletter") == []
    (holds,) = _values(handled, "holds")
    assert validate("holds", holds) == {
        "schema_version": 1,
        "serial": "S",
        "held": [
            {"event_id": "n", "type": "renewal", "occurred_at": renewal["occurred_at"], "since": "2026-12-01T09:00:00Z"}
        ],
    }


def test_the_purchase_releases_the_held_renewal_once() -> None:
    table = Table()
    table.feed(ev.renewal("n", datetime(2025, 12, 1, tzinfo=UTC), "S", "a", "ro1", 12, "online_store"))
    handled = table.feed(ev.purchase("p", datetime(2025, 1, 1, tzinfo=UTC), "S", "a", "backup-advanced", "12.5"))
    assert handled.outcome == "applied"
    assert _values(handled, "holds") == [{"schema_version": 1, "serial": "S", "held": []}]
    assert [n["kind"] for n in _values(handled, "notices")].count("renewal_confirmed") == 1
    assert _values(handled, "entitlements")[-1]["support"]["expires_on"] == "2027-01-01"
    again = table.feed(ev.purchase("p", datetime(2025, 1, 1, tzinfo=UTC), "S", "a", "backup-advanced", "12.5"))
    assert again.outcome == "duplicate"
    assert [n["kind"] for n in _values(again, "notices")] == [n["kind"] for n in _values(handled, "notices")]


def test_a_held_event_refused_later_is_dead_lettered_with_its_origin_and_document() -> None:
    table = Table()
    ppi = ev.ppi("i", datetime(2025, 3, 1, tzinfo=UTC), "S", "a")
    table.feed(ppi)
    handled = table.feed(ev.purchase("p", datetime(2025, 1, 1, tzinfo=UTC), "S", "a", "backup-advanced", "12.5"))
    (letter,) = _values(handled, "deadletter")
    assert letter["reason"] == "Pay Per Incident is for Home products only; serial S is a business product"
    assert letter["origin"] == {"topic": "t.purchases", "partition": -1, "offset": -1}
    assert letter["key"] == "S"
    assert orjson.loads(letter["payload"]) == ppi


def test_a_hold_past_its_period_is_dead_lettered_on_the_schedulers_tick() -> None:
    table = Table()
    renewal = ev.renewal("n", datetime(2023, 6, 1, tzinfo=UTC), "S", "a", "ro1", 12, "sales")
    table.feed(renewal)
    early = table.feed(tick_event("S", "hold_expiry", (ARRIVED + timedelta(days=29)).date()))
    assert _values(early, "deadletter") == []
    due_on = (ARRIVED + timedelta(days=31)).date()
    handled = table.feed(tick_event("S", "hold_expiry", due_on), day_start(due_on))
    (letter,) = _values(handled, "deadletter")
    assert letter["reason"] == "no purchase for serial S after 30 days"
    assert letter["origin"]["topic"] == "t.renewals"
    assert orjson.loads(letter["payload"]) == renewal
    assert _values(handled, "holds") == [{"schema_version": 1, "serial": "S", "held": []}]
    # `lifecycle redrive` sends it back: it is new to the serial and waits again.
    assert table.feed(renewal, day_start(due_on)).outcome == "held"
