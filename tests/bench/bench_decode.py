"""Benchmark: µs per event to decode and validate synthetic events, on the schema path and the typed one.

    .venv/bin/python tests/bench/bench_decode.py [--events 100000]

Prints one JSON document, the best of five runs over the same events (`lifecycle samples --synthetic`):
schema_path (orjson, then fastjsonschema and the checks: decode_event before the typed path), typed
(decode_typed: msgspec to a typed message), decode_event (the dict callers get, now by the typed path) and
to_builtins (a typed message back to a dict, fields beyond the contract dropped).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import orjson
import pytest

from lifecycle.samples.synthetic import synthetic_events
from schemas.codec import _validated_event, decode_event, decode_object, decode_typed


def _schema_path(raw: bytes) -> Any:
    return _validated_event(decode_object(raw))


def _per_event_us(work: Callable[[Any], Any], items: Sequence[Any]) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for item in items:
            work(item)
        best = min(best, time.perf_counter() - started)
    return round(best / len(items) * 1e6, 2)


def run(count: int) -> dict[str, Any]:
    """Decode `count` synthetic events each way; µs per event."""
    lines = [orjson.dumps(event) for event in synthetic_events(count)]
    typed = [decode_typed(line) for line in lines]
    assert [decode_event(line) for line in lines] == [_schema_path(line) for line in lines]
    return {
        "events": count,
        "schema_path_us": _per_event_us(_schema_path, lines),
        "typed_us": _per_event_us(decode_typed, lines),
        "decode_event_us": _per_event_us(decode_event, lines),
        "to_builtins_us": _per_event_us(msgspec.to_builtins, typed),
        "orjson_loads_us": _per_event_us(orjson.loads, lines),
    }


@pytest.mark.bench
def test_the_typed_path_is_faster() -> None:
    figures = run(20_000)
    print(json.dumps(figures))
    assert figures["typed_us"] < figures["schema_path_us"]
    assert figures["decode_event_us"] < figures["schema_path_us"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    print(json.dumps(run(parser.parse_args().events)))


if __name__ == "__main__":
    main()
