"""`lifecycle emit` against the real broker: good lines land on their topics, bad lines are named and refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from examples import example
from topic_reading import read_topic

from lifecycle.settings import Settings

PRODUCT = {"sku": "BK-11", "name": "Backup Business", "line": "business", "family": "backup", "version": "11.5"}
PURCHASE = example("purchase") | {"event_id": "p-1", "order_id": "o-1", "account_id": "a-1", "serial": "S-1"}
PURCHASE |= {"channel": "retail_box", "product": PRODUCT}
REGISTRATION = {**example("registration"), "event_id": "g-1", "account_id": "a-1", "serial": "S-1"}
RELEASE = {**example("release"), "event_id": "r-1", "product": PRODUCT, "released_on": "2026-03-15"}
SECOND_PURCHASE = {**PURCHASE, "event_id": "p-2", "serial": "S-2", "order_id": "o-2"}


def emit(env: dict[str, str], source: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lifecycle.cli", "emit", source]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False)


def decoded(records: list[tuple[bytes | None, bytes | None]]) -> list[tuple[str, dict[str, Any]]]:
    return [(key.decode(), json.loads(value)) for key, value in records if key is not None and value is not None]


def test_good_events_reach_their_topics_and_the_bad_line_is_named(
    topics: Settings, lifecycle_env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    lines = [PURCHASE, REGISTRATION, "{broken", RELEASE, {**PURCHASE, "serial": ""}, SECOND_PURCHASE]
    events.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n\n")

    result = emit(lifecycle_env, str(events))

    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith("line 3: not JSON")
    assert errors[1].startswith("line 5: serial")
    assert result.stdout.strip() == "sent 4 events (purchases 2, registrations 1, releases 1), refused 2 lines"
    assert sorted(decoded(read_topic(topics, "purchases"))) == [("S-1", PURCHASE), ("S-2", SECOND_PURCHASE)]
    assert decoded(read_topic(topics, "registrations")) == [("S-1", REGISTRATION)]
    assert decoded(read_topic(topics, "releases")) == [("backup/11.5", RELEASE)]
    assert read_topic(topics, "renewals") == []
    assert read_topic(topics, "deadletter") == []


def test_standard_input_with_only_good_lines_exits_zero(topics: Settings, lifecycle_env: dict[str, str]) -> None:
    result = emit(lifecycle_env, "-", stdin=json.dumps(REGISTRATION) + "\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sent 1 events (registrations 1), refused 0 lines"
    assert decoded(read_topic(topics, "registrations")) == [("S-1", REGISTRATION)]


def test_a_missing_file_is_a_user_error(lifecycle_env: dict[str, str], tmp_path: Path) -> None:
    result = emit(lifecycle_env, str(tmp_path / "nowhere.jsonl"))

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"lifecycle emit: cannot read {str(tmp_path / 'nowhere.jsonl')!r}: No such file or directory"
    )


def test_missing_topics_are_a_user_error_naming_the_topics_command(
    lifecycle_env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(PURCHASE) + "\n")

    result = emit(lifecycle_env, str(events))

    assert result.returncode == 2
    assert "do not exist; create them with `lifecycle topics`" in result.stderr
    assert "Traceback" not in result.stderr
