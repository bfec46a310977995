"""The streamed result document: the same JSON as `replay_events` gives, however its lines are grouped in writes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
import pytest

import lifecycle.replay.document as document_module
from lifecycle.replay import Replay, replay_events, run_replay
from lifecycle.rules import Policy
from lifecycle.samples.synthetic import synthetic_events

pytestmark = pytest.mark.unit

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("lines_per_write", [1, 2, 1024])
def test_the_written_document_is_the_result_whatever_the_lines_per_write(
    monkeypatch: pytest.MonkeyPatch, lines_per_write: int
) -> None:
    monkeypatch.setattr(document_module, "_LINES_PER_WRITE", lines_per_write)
    lines = [orjson.dumps(event).decode() for event in synthetic_events(300, 5)]
    notices: list[bytes] = []
    replay = run_replay(Replay(Policy(), lambda notice: notices.append(orjson.dumps(notice))), lines, AS_OF)
    out = io.BytesIO()

    document_module.write_document(out, replay, notices)

    written = orjson.loads(out.getvalue())
    assert written == orjson.loads(orjson.dumps(replay_events(lines, AS_OF)))
    assert len(written["entitlements"]) > 2
    assert len(written["notices"]) > 2
