"""Redrive from the dashboard, served in process over fake letters: bad filters are a 400, letters redriven
before are left out unless asked again, and an unwritable audit file sends nothing and answers in one line."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redrive_fakes import AckingProducer

from lifecycle import redrive
from lifecycle.dashboard import app as dashboard_app
from lifecycle.dashboard import operator, sampler
from lifecycle.dashboard.deadletters import DeadLetterReader, summarize
from lifecycle.deadletter import deadletter_record
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit

TOKEN = "unit-token-0123456789abcdef"
OPERATOR = "operator-token-0123456789"
HEADERS = {"Authorization": f"Bearer {TOKEN}", operator.HEADER: OPERATOR}
AT = datetime(2026, 11, 1, tzinfo=UTC)
Client = TestClient[web.Request, web.Application]


class _Letters(DeadLetterReader):
    """Dead letters at (0, offset) from a list, read by no consumer."""

    def __init__(self, settings: Settings, values: list[bytes]) -> None:
        self.settings, self.audit = settings, []
        self.values = {(0, offset): value for offset, value in enumerate(values)}
        self.records = deque(summarize(0, offset, value) for (_, offset), value in self.values.items())

    def fetch(self, _settings: Settings, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
        return {at: SimpleNamespace(key=b"SN-1", value=self.values[at]) for at in positions if at in self.values}


def _serve(
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    scenario: Callable[[Client], Awaitable[None]],
    origin_offsets: Iterable[int] = range(3),
) -> None:
    async def idle(_self: Any) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(sampler.Sampler, "run", idle)
    monkeypatch.setattr(sampler.Sampler, "close", lambda _self: None)
    monkeypatch.setattr(redrive, "KafkaProducer", AckingProducer)
    monkeypatch.setattr(AckingProducer, "sent", [])
    settings = Settings.from_env({"LIFECYCLE_HOME": str(home), "LIFECYCLE_DASHBOARD_OPERATOR_TOKEN": OPERATOR})
    original = b'{"event_id": "e1"}'
    letters = _Letters(
        settings,
        [
            deadletter_record(f"no purchase {n}", "lifecycle.renewals", 0, n, b"SN-1", original, "processor", AT)
            for n in origin_offsets
        ],
    )
    monkeypatch.setattr(operator, "fetch", letters.fetch)
    application = dashboard_app.make_app(settings, TOKEN)
    application[dashboard_app.SAMPLER_KEY].deadletters = letters

    async def main() -> None:
        async with TestClient(TestServer(application)) as client:
            await scenario(client)

    asyncio.run(main())


async def _post(client: Client, body: Any) -> tuple[int, Any]:
    answer = await client.post("/api/deadletters/redrive", json=body, headers=HEADERS)
    return answer.status, await answer.json()


@pytest.mark.parametrize("filters", ["renewals", ["reason"], 5])
def test_filters_that_are_not_an_object_are_a_bad_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filters: Any
) -> None:
    async def scenario(client: Client) -> None:
        assert await _post(client, {"filters": filters}) == (
            400,
            {"error": 'filters must be a JSON object, e.g. {"reason": "no purchase"}'},
        )

    _serve(tmp_path, monkeypatch, scenario)


def test_letters_redriven_before_are_left_out_unless_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = {"filters": {"reason": "no purchase"}}

    async def scenario(client: Client) -> None:
        status, done = await _post(client, {"ids": ["0-1"], "confirm": True, "expected": 1})
        assert (status, done["sent"]) == (200, 1)
        assert await _post(client, group) == (
            200,
            {
                "count": 2,
                "confirm": "send 2 letter(s) back?; 1 redriven before left out (again: true sends them too)",
                "redriven_before": 1,
            },
        )
        status, done = await _post(client, {**group, "confirm": True, "expected": 2})
        assert (status, done["sent"]) == (200, 1)  # the other letter holds the same original: sent once
        assert done["skipped"] == {"sent once already": 1, "redriven before (again: true sends it again)": 1}
        assert (await _post(client, group))[1]["count"] == 1  # the copy not sent is no redriven letter
        assert (await _post(client, {**group, "again": True}))[1] == {"count": 3, "confirm": "send 3 letter(s) back?"}

    _serve(tmp_path, monkeypatch, scenario)
    assert len(AckingProducer.sent) == 2


def test_an_input_dead_lettered_twice_is_sent_back_once_whichever_letter_was_picked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = {"filters": {"reason": "no purchase"}}

    async def scenario(client: Client) -> None:
        status, done = await _post(client, {"ids": ["0-1"], "confirm": True, "expected": 1})
        assert (status, done["sent"]) == (200, 1)
        assert (await _post(client, group))[1]["count"] == 1  # only the letter the audit names is left out here
        status, done = await _post(client, {**group, "confirm": True, "expected": 1})
        assert (status, done["sent"], done["skipped"]) == (200, 0, {operator.LEFT_OUT: 2})

    _serve(tmp_path, monkeypatch, scenario, origin_offsets=[5, 5])  # one input, dead-lettered twice
    assert len(AckingProducer.sent) == 1


def test_an_unwritable_audit_file_sends_nothing_and_answers_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.write_text("a file, not a folder")

    async def scenario(client: Client) -> None:
        status, answer = await _post(client, {"ids": ["0-0"], "confirm": True, "expected": 1})
        assert status == 502
        assert answer["error"] == (
            f"the redrive failed: cannot write the redrive audit file {home / 'audit' / 'redrive.jsonl'} "
            "(Not a directory): point LIFECYCLE_HOME at a writable folder; nothing was sent"
        )

    _serve(home, monkeypatch, scenario)
    assert AckingProducer.sent == []
