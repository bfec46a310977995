"""A redrive whose sends partly fail still audits every original that went out, then says what failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata, RecordMetadata

from lifecycle import redrive
from lifecycle.redrive import Letter
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit


class _Producer:
    """Acknowledges every send but the second, which the broker refuses."""

    def __init__(self, **_config: Any) -> None:
        self.sends = 0

    def send(self, topic: str, **_record: Any) -> FutureRecordMetadata:
        self.sends += 1
        future = FutureRecordMetadata(FutureProduceResult(None), 0, -1, None, None, None, -1)
        if self.sends == 2:
            future.failure(KafkaTimeoutError("refused"))
        else:
            future.success(RecordMetadata(topic, 0, None, 10 + self.sends, -1, None, 0, 0, 0))
        return future

    def flush(self, timeout: float) -> None: ...

    def close(self) -> None: ...


def test_the_sends_that_went_out_are_audited_before_the_failure_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redrive, "KafkaProducer", _Producer)
    settings = Settings.from_env({"LIFECYCLE_HOME": str(tmp_path)})
    letters = [
        Letter(f"r{n}", "lifecycle.renewals", "processor", b"SN", b"{}", partition=0, offset=n) for n in range(3)
    ]

    with pytest.raises(KafkaTimeoutError):
        redrive.send_back(settings, letters, "operator")

    lines = [json.loads(line) for line in (tmp_path / "audit" / "redrive.jsonl").read_text().splitlines()]
    assert [line["deadletter"]["offset"] for line in lines] == [0, 2]
