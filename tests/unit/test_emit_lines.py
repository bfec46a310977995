"""emit's line handling: validation, topic and key choice, refusals with line numbers."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from examples import example

from lifecycle.emit import Outgoing, Refused, prepare_line, prepare_lines
from lifecycle.emit_tally import Tally

PRODUCT = {"sku": "BK-11", "name": "Backup Business", "line": "business", "family": "backup", "version": "11.5"}


def purchase(serial: str = "S-1", **changes: Any) -> dict[str, Any]:
    """The contract's example purchase of PRODUCT by a-1 as `serial`, with `changes`."""
    event = {**example("purchase"), "event_id": f"p-{serial}", "account_id": "a-1", "serial": serial}
    return {**event, "product": PRODUCT, "channel": "online_store", **changes}


RELEASE = {**example("release"), "event_id": "r-1", "product": PRODUCT, "released_on": "2026-03-15"}
UPGRADE = {**example("upgrade"), "event_id": "u-1", "account_id": "a-1", "serial": "S-1", "new_serial": "S-2"}


@pytest.mark.parametrize(
    ("event", "suffix", "key"),
    [(purchase("S-9"), "purchases", b"S-9"), (RELEASE, "releases", b"backup/11.5"), (UPGRADE, "upgrades", b"S-1")],
)
def test_valid_events_go_to_their_topic_with_their_key(event: dict[str, Any], suffix: str, key: bytes) -> None:
    prepared = prepare_line(4, json.dumps(event) + "\n")
    assert isinstance(prepared, Outgoing)
    assert (prepared.line, prepared.suffix, prepared.key) == (4, suffix, key)
    assert json.loads(prepared.value) == event


def test_values_are_compact_json_with_sorted_keys() -> None:
    prepared = prepare_line(1, json.dumps(purchase(), indent=None, separators=(", ", ": ")))
    assert isinstance(prepared, Outgoing)
    assert prepared.value.startswith(b'{"account_id":"a-1","channel":"online_store"')


@pytest.mark.parametrize("text", ["", "\n", "   \t\n"])
def test_blank_lines_are_skipped(text: str) -> None:
    assert prepare_line(3, text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({**purchase(), "type": "refund"}), "type:"),
        (json.dumps(purchase(channel="telegraph")), "channel"),
        (json.dumps(purchase(occurred_at="2026-03-15T10:20:00")), "occurred_at"),
    ],
)
def test_invalid_lines_are_refused_with_their_number_and_reason(text: str, reason: str) -> None:
    refused = prepare_line(7, text)
    assert isinstance(refused, Refused)
    assert str(refused).startswith("line 7: ")
    assert reason in refused.reason


def test_lines_are_numbered_from_one_counting_blank_ones() -> None:
    lines = [json.dumps(purchase("S-1")), "", "garbage", json.dumps(purchase("S-2"))]
    prepared = list(prepare_lines(lines))
    assert [(type(item).__name__, item.line) for item in prepared] == [("Outgoing", 1), ("Refused", 3), ("Outgoing", 4)]


def test_summary_counts_per_topic() -> None:
    tally = Tally(Counter({"purchases": 2, "releases": 1}), refused=1)
    assert tally.summary() == "sent 3 events (purchases 2, releases 1), refused 1 lines"
    assert Tally(Counter(), failed=2).summary() == "sent 0 events (none), refused 0 lines, 2 sends failed"
