"""Reading a whole topic: record by record as they come, as long as reading moves; one line when it stops moving."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from redrive_fakes import Record, TopicConsumer

from lifecycle import cli, redrive, topic_log
from lifecycle.deadletter import deadletter_record
from lifecycle.errors import UserError
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every look at the clock is 0.2 s after the one before (a slow round trip per poll)."""
    ticks = itertools.count(0.0, 0.2)
    monkeypatch.setattr(topic_log, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    monkeypatch.setattr(topic_log, "KafkaConsumer", TopicConsumer)
    monkeypatch.setattr(TopicConsumer, "polls", 0)


def test_records_come_one_poll_at_a_time_not_the_whole_topic_first(
    clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TopicConsumer, "records", [Record(0, n, None, b"x") for n in range(50)])
    monkeypatch.setattr(TopicConsumer, "per_poll", 10)

    records = topic_log.records_to_end(Settings.from_env({}), "lifecycle.deadletter")

    assert next(records).offset == 0
    assert TopicConsumer.polls == 1
    assert [record.offset for record in records] == list(range(1, 50))
    assert TopicConsumer.polls == 5


def test_a_large_topic_that_takes_longer_than_the_stall_limit_is_read_to_its_end_while_it_moves(
    clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TopicConsumer, "records", [Record(p, n, None, b"x") for p in (0, 1) for n in range(3000)])
    monkeypatch.setattr(TopicConsumer, "per_poll", 10)  # 300 polls, at least 60 s of the clock

    records = topic_log.read_to_end(Settings.from_env({}), "lifecycle.deadletter", timeout=30.0)

    assert len(records) == 6000
    assert [(r.partition, r.offset) for r in records][2999:3001] == [(0, 2999), (1, 0)]


def test_reading_that_stops_moving_ends_in_one_line_from_redrive(
    clock: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    letter = deadletter_record(
        "x", "lifecycle.renewals", 0, 0, b"S", b"{}", "processor", datetime(2026, 1, 1, tzinfo=UTC)
    )
    monkeypatch.setattr(TopicConsumer, "records", [Record(0, n, b"S", letter) for n in range(3)])
    monkeypatch.setattr(TopicConsumer, "stuck", True)
    monkeypatch.setattr(redrive, "require_topics", lambda *_args: None)
    monkeypatch.setenv("LIFECYCLE_HOME", str(tmp_path))

    assert cli.main(["redrive", "--dry-run"]) == 2

    assert capsys.readouterr().err == (
        "lifecycle redrive: lifecycle.deadletter stopped being read after 0 of 3 records (no progress for 60s): "
        "check that Kafka at LIFECYCLE_KAFKA_BOOTSTRAP answers, then run again\n"
    )
    with pytest.raises(UserError):
        topic_log.read_to_end(Settings.from_env({}), "lifecycle.deadletter")
