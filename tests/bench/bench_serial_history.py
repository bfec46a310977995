"""Benchmark: the worker's cost per event as one serial's history grows (100, 1,000, 10,000 events).

    .venv/bin/python tests/bench/bench_serial_history.py [--sizes 100,1000,10000] [--tail 100]

Runs the worker's pure path for every message (`streams.handler.handle`: decode, validate, rules) with the
serial's value decoded from and encoded to bytes as the table keeps it, no broker. One Home subscription
serial gets a Pay Per Incident purchase or a support case every 30 minutes, and an online renewal a day.
Prints, per size, the mean µs per event over the last `--tail` events and the stored value's size, as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from lifecycle.rules import Policy
from lifecycle.samples import events as ev
from lifecycle.topics import TOPIC_BY_EVENT_TYPE
from streams.handler import Context, Inbound, handle
from streams.stored import StoredSerial, decode_stored, encode_stored

SERIAL = "SN-BUSY"
START = datetime(2024, 1, 1, tzinfo=UTC)
CONTEXT = Context("bench", {}, Policy(), now=lambda: START)


def busy_serial(count: int) -> Iterator[dict[str, Any]]:
    """`count` events of one serial: its purchase, then PPI purchases and cases, and a renewal a day."""
    yield ev.purchase("e0", START, SERIAL, "a", "true-image", "2025", license_type="subscription", term_months=12)
    for number in range(1, count):
        at = START + timedelta(minutes=30 * number)
        event_id = f"e{number}"
        if number % 48 == 0:
            yield ev.renewal(event_id, at, SERIAL, "a", f"ro-{number}", 1, "online_store")
        elif number % 2:
            yield ev.ppi(event_id, at, SERIAL, "a")
        else:
            yield ev.case(event_id, at, SERIAL, "a", f"C{number}", "technical", "phone")


def run(size: int, tail: int) -> dict[str, Any]:
    """Feed `size` events; the mean cost of the last `tail` of them, and the value's size at the end."""
    value: bytes | None = None

    def load(serial: str) -> StoredSerial | None:
        return None if value is None else decode_stored(value)

    spent, outcomes = 0.0, dict[str, int]()
    for offset, event in enumerate(busy_serial(size)):
        raw = orjson.dumps(event)
        message = Inbound(TOPIC_BY_EVENT_TYPE[event["type"]].name("bench"), 0, offset, SERIAL.encode(), raw, START)
        started = time.perf_counter()
        handled = handle(message, load, CONTEXT)
        if handled.stored is not None:
            value = encode_stored(handled.stored)
        if offset >= size - tail:
            spent += time.perf_counter() - started
            outcomes[handled.outcome] = outcomes.get(handled.outcome, 0) + 1
    return {
        "events": size,
        "us_per_event": round(spent / tail * 1e6, 1),
        "value_bytes": len(value or b""),
        "outcomes": outcomes,
    }


@pytest.mark.bench
def test_cost_per_event_stays_flat_as_a_serial_grows() -> None:
    figures = [run(size, 100) for size in (100, 1_000, 10_000)]
    print(json.dumps(figures, indent=2))
    assert figures[-1]["us_per_event"] < 3 * figures[1]["us_per_event"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--tail", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps([run(int(size), args.tail) for size in args.sizes.split(",")], indent=2))


if __name__ == "__main__":
    main()
