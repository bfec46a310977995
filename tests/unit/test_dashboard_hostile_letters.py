"""Dead letters the pipeline never meant to write: deep, huge or odd ones are listed and shown, never a failure."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from lifecycle.dashboard import console, tail
from lifecycle.dashboard.deadletters import DeadLetterReader, summarize
from lifecycle.dashboard.letter_detail import MAX_DEPTH, MAX_PEOPLE, TOO_DEEP, detail, mask_text
from lifecycle.dashboard.sampler import Sampler
from lifecycle.deadletter import deadletter_record
from lifecycle.settings import Settings

AT = datetime(2026, 11, 1, tzinfo=UTC)
PERSON = '{"contact": {"email": "robin@example.com", "name": "Robin Quill"}}'
DEEP = '{"serial": "SN-1", "x": ' + "[" * 1000 + PERSON + "]" * 1000 + "}"


def _letter(original: bytes, reason: str = "rule") -> bytes:
    return deadletter_record(reason, "lc.purchases", 0, 1, b"SN-1", original, "processor", AT)


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list):
        value, depth = value[0], depth + 1
    return depth


def test_a_deeply_nested_original_is_shown_down_to_a_depth_and_its_page_can_be_written() -> None:
    shown = detail(0, 1, _letter(DEEP.encode()))

    nested = shown["payload"]["json"]["x"]
    assert shown["payload"]["format"] == "json"
    assert _depth(nested) == MAX_DEPTH
    assert nested == orjson.loads("[" * MAX_DEPTH + json.dumps(TOO_DEEP) + "]" * MAX_DEPTH)
    assert "robin" not in json.dumps(shown).lower()  # written out as the page's answer is


def test_a_deeply_nested_original_is_listed_with_its_people_masked() -> None:
    summary = summarize(0, 1, _letter(DEEP.encode()))

    assert summary["serial"] == "SN-1"
    assert "robin" not in summary["preview"].lower()
    assert mask_text(DEEP) == DEEP.replace("robin@", "r***@").replace("Robin Quill", "R***")


def test_an_original_naming_very_many_people_is_not_shown_as_text() -> None:
    many = orjson.dumps([{"email": str(number)} for number in range(MAX_PEOPLE + 1)]).decode()
    few = orjson.dumps([{"email": f"robin{number}"} for number in range(MAX_PEOPLE)]).decode()

    assert mask_text(many) == f"(not shown: the original names more than {MAX_PEOPLE} people)"
    assert "robin" not in mask_text(few)


@pytest.mark.parametrize(
    ("payload", "json_shown"),
    [(5, 5), ({"contact": {"email": "robin@example.com"}}, {"contact": {"email": "r***@example.com"}})],
)
def test_a_payload_that_is_not_text_is_shown_as_the_json_it_is(payload: Any, json_shown: Any) -> None:
    value = orjson.dumps({"reason": "x", "payload": payload, "origin": {}})

    assert detail(0, 3, value)["payload"] == {"format": "json", "json": json_shown, "text": None}
    assert summarize(0, 3, value)["preview"] == "(no payload)"


def test_fields_of_an_odd_shape_are_listed_as_absent_and_shown_to_a_depth() -> None:
    deep = "[" * 1000 + "]" * 1000
    value = f'{{"reason": "x", "key": {deep}, "origin": {{"topic": {deep}, "partition": true, "offset": 7}}}}'.encode()

    summary = summarize(0, 4, value)
    shown = detail(0, 4, value)

    assert (summary["key"], summary["origin"]) == (None, {"topic": None, "partition": None, "offset": 7})
    assert shown["origin"]["topic"] == orjson.loads("[" * MAX_DEPTH + json.dumps(TOO_DEEP) + "]" * MAX_DEPTH)
    json.dumps(shown)


class _Consumer:
    """One partition whose records a single poll hands over in one batch, as kafka-python does."""

    def __init__(self, values: list[bytes], **_: Any) -> None:
        self.values, self.position_now = values, 0

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def assign(self, parts: list[Any]) -> None:
        self.part = parts[0]

    def beginning_offsets(self, parts: list[Any]) -> dict[Any, int]:
        return dict.fromkeys(parts, 0)

    def end_offsets(self, parts: list[Any]) -> dict[Any, int]:
        return dict.fromkeys(parts, len(self.values))

    def seek(self, part: Any, offset: int) -> None:
        self.position_now = offset

    def position(self, part: Any) -> int:
        return self.position_now

    def poll(self, timeout_ms: int, max_records: int) -> dict[Any, list[Any]]:
        batch = [SimpleNamespace(offset=o, value=v) for o, v in enumerate(self.values) if o >= self.position_now]
        self.position_now = len(self.values)
        return {self.part: batch} if batch else {}


def test_a_letter_that_cannot_be_summarized_costs_no_other_letter_of_its_batch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    values = [_letter(b"{}", f"letter {n}") for n in range(5)]
    monkeypatch.setattr(tail, "KafkaConsumer", lambda **_: _Consumer(values))
    reader = DeadLetterReader(Settings.from_env({"LIFECYCLE_HOME": str(tmp_path)}))

    def summarize_or_fail(partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
        if offset == 1 and value is not None:
            raise RecursionError("maximum recursion depth exceeded")
        return summarize(partition, offset, value)

    reader.summarize = summarize_or_fail
    reader.refresh()

    reasons = {item["id"]: item["reason"] for item in reader.letters()}
    assert reasons == {
        "0-0": "letter 0",
        "0-1": "(dead letter cannot be shown: RecursionError)",
        "0-2": "letter 2",
        "0-3": "letter 3",
        "0-4": "letter 4",
    }


def test_a_letter_s_page_is_made_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []

    def fetch(settings: Any, positions: Any) -> dict[Any, Any]:
        return {(0, 1): SimpleNamespace(value=_letter(b"{}"))}

    def made(partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
        threads.append(threading.get_ident())
        return {}

    monkeypatch.setattr(console, "fetch", fetch)
    monkeypatch.setattr(console, "detail", made)
    app = web.Application()
    app[console.SAMPLER] = cast(Sampler, SimpleNamespace(settings=None, deadletters=None))

    async def answer() -> int:
        request = make_mocked_request(
            "GET", "/api/deadletters/0-1", match_info={"partition": "0", "offset": "1"}, app=app
        )
        return (await console.api_deadletter(request)).status

    assert asyncio.run(answer()) == 200
    assert threads
    assert threading.get_ident() not in threads
