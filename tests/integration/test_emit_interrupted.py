"""`lifecycle emit` stopped by SIGINT part way, against the real broker: what it says it sent is on the topics, and
the line it names to resume from loses and repeats nothing."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
from topic_reading import read_topic

from lifecycle.samples import synthetic_events
from lifecycle.settings import Settings

EVENTS = 200_000  # far more than a few seconds of sending: the signal comes part way
RESUMED = 100  # lines sent on resuming: enough to see the first and the next
SUFFIXES = ("purchases", "registrations", "renewals", "upgrades", "releases", "cases")
STOPPED = re.compile(
    rb"lifecycle emit: interrupted by SIGINT after line (\d+); the lines after it were not read: resume from line (\d+)"
)


def _emit(env: dict[str, str], source: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "lifecycle.cli", "emit", source]
    return subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _event_ids(topics: Settings) -> list[str]:
    """The event_id of every record on the event topics."""
    records = [value for suffix in SUFFIXES for _, value in read_topic(topics, suffix, timeout=120)]
    return [orjson.loads(value or b"{}")["event_id"] for value in records]


def test_an_interrupted_emit_resumed_from_the_line_it_names_sends_each_event_once(
    topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path
) -> None:
    events = list(synthetic_events(EVENTS, 7))
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in events))

    with _emit(lifecycle_env, str(path)) as process:
        time.sleep(4)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=180)
    assert process.returncode == 130, err
    stopped = STOPPED.fullmatch(err.splitlines()[-1])  # kafka-python may log a warning before it
    assert stopped, err
    last, resume = int(stopped[1]), int(stopped[2])
    assert 0 < last < EVENTS
    assert resume == last + 1
    assert out.startswith(f"sent {last} events (".encode())  # all acknowledged: each line up to it, none after
    assert sorted(_event_ids(topics)) == sorted(event["event_id"] for event in events[:last])

    with _emit(lifecycle_env, "-") as process:
        rest = b"".join(orjson.dumps(event) + b"\n" for event in events[resume - 1 : resume - 1 + RESUMED])
        out, err = process.communicate(rest, timeout=120)
    assert process.returncode == 0, err
    assert out.startswith(f"sent {RESUMED} events (".encode())
    assert sorted(_event_ids(topics)) == sorted(event["event_id"] for event in events[: last + RESUMED])
