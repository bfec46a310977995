"""Benchmark: the worker's cost per event as one serial's history grows (100, 1,000, 10,000 events).

    .venv/bin/python tests/bench/bench_serial_history.py [--sizes 100,1000,10000] [--tail 500]

Runs the worker's pure path for every message (`streams.handler.handle`: decode, validate, rules) with the
serial's value decoded from and encoded to bytes as the table keeps it, no broker. One Home subscription
serial gets a Pay Per Incident purchase or a support case every 30 minutes, and an online renewal a day.
Prints, per size, the mean µs and Python calls per event over the last `--tail` events and the stored value's
size, as JSON. The value is bounded (R14: 64 events kept, 256 orders and cases remembered): it grows until those
bounds fill, then stays.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from lifecycle.rules import Policy
from lifecycle.samples import events as ev
from lifecycle.topics import TOPIC_BY_EVENT_TYPE
from streams.handler import Context, Handled, Inbound, handle
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
    tail = min(tail, size)
    spent, outcomes = 0.0, dict[str, int]()
    for _, handled, seconds in _fed(size, tail):
        spent += seconds
        outcomes[handled.outcome] = outcomes.get(handled.outcome, 0) + 1
    # Python calls are counted on a second pass: the profiler would slow the timed one, and a count does not vary
    # from run to run as time does on a shared machine.
    profiler = cProfile.Profile()
    value = list(_fed(size, tail, profiler))[-1][0]  # the stored value after the last event
    return {
        "events": size,
        "us_per_event": round(spent / tail * 1e6, 1),
        "python_calls_per_event": round(pstats.Stats(profiler).total_calls / tail, 1),  # type: ignore[attr-defined]
        "value_bytes": len(value),
        "outcomes": outcomes,
    }


def _fed(size: int, tail: int, profiler: cProfile.Profile | None = None) -> Iterator[tuple[bytes, Handled, float]]:
    """Each of the last `tail` events handled: the stored value after it, what the handler did, the time it took."""
    value: bytes | None = None

    def load(serial: str) -> StoredSerial | None:
        return None if value is None else decode_stored(value)

    for offset, event in enumerate(busy_serial(size)):
        raw = orjson.dumps(event)
        message = Inbound(TOPIC_BY_EVENT_TYPE[event["type"]].name("bench"), 0, offset, SERIAL.encode(), raw, START)
        timed = offset >= size - tail
        if timed and profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        handled = handle(message, load, CONTEXT)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
        if handled.stored is not None:
            value = encode_stored(handled.stored)
        if timed:
            yield value or b"", handled, seconds


@pytest.mark.bench
def test_cost_per_event_stays_flat_as_a_serial_grows() -> None:
    figures = [run(size, 500) for size in (100, 1_000, 10_000)]
    print(json.dumps(figures, indent=2))
    # Calls, not time: the count is the same on every run, so a cost that grows with the history shows here.
    assert figures[-1]["python_calls_per_event"] < 1.1 * figures[1]["python_calls_per_event"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--tail", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps([run(int(size), args.tail) for size in args.sizes.split(",")], indent=2))


if __name__ == "__main__":
    main()
