"""Benchmark: `lifecycle replay` events/s on one core and its peak memory over synthetic events.

    .venv/bin/python tests/bench/bench_replay.py [--events 1000000]

Writes `--events` synthetic events (`lifecycle samples --synthetic`) to a temporary file, replays them in a
child process (`lifecycle replay --stats`), and prints one JSON document: events, seconds, events/s, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from lifecycle.samples.synthetic import synthetic_events

STATS = re.compile(r"replayed (\d+) lines in ([\d.]+) s \(([\d,]+) events/s\)")


def run(count: int) -> dict[str, Any]:
    """Replay `count` synthetic events in a child process; its figures."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        with path.open("wb") as out:
            for event in synthetic_events(count):
                out.write(orjson.dumps(event) + b"\n")
        command = [sys.executable, "-m", "lifecycle.cli", "replay", str(path), "--as-of", "2026-06-01T00:00:00Z"]
        done = subprocess.run([*command, "--stats"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    found = STATS.search(done.stderr.decode())
    assert found is not None, done.stderr.decode()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "events": int(found[1]),
        "seconds": float(found[2]),
        "events_per_second": int(found[3].replace(",", "")),
        "peak_rss_mib": round(peak),
    }


@pytest.mark.bench
def test_replay_rate_and_memory() -> None:
    figures = run(200_000)
    print(json.dumps(figures))
    assert figures["peak_rss_mib"] < 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    print(json.dumps(run(parser.parse_args().events)))


if __name__ == "__main__":
    main()
