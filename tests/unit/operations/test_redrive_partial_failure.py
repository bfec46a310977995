"""A redrive whose sends partly fail still audits every original that went out, then says what failed in one
line; an audit file that cannot be written stops the redrive before anything is sent."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata, RecordMetadata

from lifecycle import redrive
from lifecycle.errors import UserError
from lifecycle.redrive_letters import Letter
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit


class _Producer:
    """Acknowledges on flush or close, as kafka-python does; `mode` says what goes wrong.

    refused: the broker refuses the second send; flush_timeout: flush times out, close delivers the rest;
    send_raises: send() raises for the second letter (its topic's metadata did not come in time).
    """

    mode = "refused"
    made: list[_Producer] = []

    def __init__(self, **_config: Any) -> None:
        self.futures: list[FutureRecordMetadata] = []
        self.delivered = 0
        _Producer.made.append(self)

    def send(self, topic: str, **_record: Any) -> FutureRecordMetadata:
        if self.mode == "send_raises" and len(self.futures) == 1:
            raise KafkaTimeoutError("Failed to update metadata after 60.0 secs.")
        future = FutureRecordMetadata(FutureProduceResult(None), 0, -1, None, None, None, -1)
        self.futures.append(future)
        return future

    def _complete(self, spare_second: bool) -> None:
        for n, future in enumerate(self.futures):
            if future.is_done or (spare_second and n == 1):
                continue
            if self.mode == "refused" and n == 1:
                future.failure(KafkaTimeoutError("refused"))
            else:
                self.delivered += 1
                future.success(RecordMetadata("lifecycle.renewals", 0, None, 10 + n, -1, None, 0, 0, 0))

    def flush(self, timeout: float) -> None:
        self._complete(spare_second=self.mode == "flush_timeout")
        if self.mode == "flush_timeout":
            raise KafkaTimeoutError("Timeout after waiting for 60 secs.")

    def close(self) -> None:
        self._complete(spare_second=False)  # close waits until every record has completed


LETTERS = [Letter(f"r{n}", "lifecycle.renewals", "processor", b"SN", b"{}", partition=0, offset=n) for n in range(3)]


def _audited(home: Path) -> list[int]:
    lines = (home / "audit" / "redrive.jsonl").read_text().splitlines()
    return [json.loads(line)["deadletter"]["offset"] for line in lines]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(redrive, "KafkaProducer", _Producer)
    monkeypatch.setattr(_Producer, "made", [])
    return Settings.from_env({"LIFECYCLE_HOME": str(tmp_path)})


def test_a_flush_that_times_out_still_audits_every_send_acknowledged_on_close(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Producer, "mode", "flush_timeout")

    entries = redrive.send_back(settings, LETTERS, "operator")

    assert _Producer.made[0].delivered == 3
    assert sorted(_audited(settings.home)) == [0, 1, 2]
    assert sorted(entry["deadletter"]["offset"] for entry in entries) == [0, 1, 2]


@pytest.mark.parametrize(("mode", "audited"), [("refused", [0, 2]), ("send_raises", [0])])
def test_every_acknowledged_send_is_audited_whatever_fails_then_one_line_says_what(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, mode: str, audited: list[int]
) -> None:
    monkeypatch.setattr(_Producer, "mode", mode)

    with pytest.raises(UserError) as failed:
        redrive.send_back(settings, LETTERS, "operator")

    assert _Producer.made[0].delivered == len(audited)
    assert sorted(_audited(settings.home)) == audited
    message = str(failed.value)
    assert "\n" not in message
    path = settings.home / "audit" / "redrive.jsonl"
    assert message.startswith(f"sent back {len(audited)} of 3 (audit lines in {path}), then Kafka at ")
    assert "KafkaTimeoutError" in message
    assert "run the redrive again" in message


def test_an_audit_file_that_cannot_be_opened_stops_the_redrive_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redrive, "KafkaProducer", _Producer)
    monkeypatch.setattr(_Producer, "made", [])
    home = tmp_path / "home"
    home.write_text("a file, not a folder")
    settings = Settings.from_env({"LIFECYCLE_HOME": str(home)})

    with pytest.raises(UserError) as failed:
        redrive.send_back(settings, LETTERS, "operator")

    assert _Producer.made == []
    assert str(failed.value) == (
        f"cannot write the redrive audit file {home / 'audit' / 'redrive.jsonl'} (Not a directory): "
        "point LIFECYCLE_HOME at a writable folder; nothing was sent"
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_an_audit_file_that_fills_up_meanwhile_leaves_its_lines_in_the_log_and_says_so(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    (settings.home / "audit").mkdir()
    (settings.home / "audit" / "redrive.jsonl").symlink_to("/dev/full")  # every write fails: no space left

    with caplog.at_level(logging.INFO, "lifecycle.audit"), pytest.raises(UserError) as failed:
        redrive.send_back(settings, LETTERS[:1], "operator")

    assert _Producer.made[0].delivered == 1
    assert "could not be written (No space left on device)" in str(failed.value)
    assert "its lines are in the log (logger lifecycle.audit)" in str(failed.value)
    assert sum("deadletter_redriven" in record.getMessage() for record in caplog.records) == 1
