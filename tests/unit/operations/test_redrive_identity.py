"""What the redrive audit names: a letter by its topic, position and `failed_at`, and the original it held, so an
input dead-lettered twice is sent back once, and a recreated topic or another prefix is never passed over."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redrive_fakes import AckingProducer, Record, TopicConsumer, redrive_on_fakes

from lifecycle import cli
from lifecycle.deadletter import deadletter_record
from lifecycle.redrive import REDRIVEN_BEFORE, choose
from lifecycle.redrive_letters import Letter, parse_letter
from lifecycle.redriven import redriven

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _letter(at: int, origin_offset: int, event: str, prefix: str = "lifecycle", failed: datetime = AT) -> Record:
    original = f'{{"event_id": "{event}"}}'.encode()
    value = deadletter_record(
        "no purchase", f"{prefix}.renewals", 2, origin_offset, b"SN-1", original, "processor", failed
    )
    return Record(0, at, b"SN-1", value)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return redrive_on_fakes(tmp_path, monkeypatch)


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, records: list[Record]) -> list[str]:
    monkeypatch.setattr(TopicConsumer, "records", records)
    assert cli.main(["redrive"]) == 0
    return capsys.readouterr().out.splitlines()


def _sent() -> list[bytes | None]:
    return [value for _topic, _key, value in AckingProducer.sent]


def test_an_input_dead_lettered_twice_is_sent_back_once_over_runs_and_its_copy_that_failed_again_is_sent(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    twice = [_letter(0, 7, "e7"), _letter(1, 7, "e7")]  # written again after a restart before the commit
    _run(capsys, monkeypatch, twice)
    assert _run(capsys, monkeypatch, twice)[:2] == [
        "2 dead letters; sending back 0",
        f"  skipped, {REDRIVEN_BEFORE}: 2",
    ]
    assert len(_sent()) == 1

    # The copy sent back landed at renewals/0/1 and failed again: its letter names that new origin.
    (line,) = [json.loads(x) for x in (home / "audit" / "redrive.jsonl").read_text().splitlines()]
    again = deadletter_record(
        "no purchase", "lifecycle.renewals", 0, line["sent_to"]["offset"], b"SN-1", _sent()[0], "processor", AT
    )
    _run(capsys, monkeypatch, [*twice, Record(0, 2, b"SN-1", again)])
    assert len(_sent()) == 2


def test_the_audit_line_names_the_letter_whole_and_the_original_it_held(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, monkeypatch, [_letter(0, 7, "e7")])
    (line,) = [json.loads(x) for x in (home / "audit" / "redrive.jsonl").read_text().splitlines()]
    assert line["deadletter"] == {
        "topic": "lifecycle.deadletter",
        "partition": 0,
        "offset": 0,
        "failed_at": "2026-11-01T00:00:00Z",
    }
    original = b'{"event_id": "e7"}'
    sha256 = hashlib.sha256(original).hexdigest()
    assert line["original"] == {"topic": "lifecycle.renewals", "partition": 2, "offset": 7, "sha256": sha256}


def test_a_new_letter_at_the_position_of_one_redriven_from_a_recreated_topic_is_sent(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, monkeypatch, [_letter(0, 7, "old")])
    # The topic is deleted and made again: offsets start at 0 again, for other letters.
    _run(capsys, monkeypatch, [_letter(0, 99, "new", failed=datetime(2026, 11, 2, tzinfo=UTC))])
    _run(capsys, monkeypatch, [_letter(0, 98, "same instant")])
    assert _sent() == [
        b'{"event_id": "old"}',
        b'{"event_id": "new"}',
        b'{"event_id": "same instant"}',
    ]


def test_the_same_input_refused_again_on_a_recreated_topic_after_its_redrive_is_sent(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, monkeypatch, [_letter(0, 7, "e7")])
    # The topics are made again and the same input, at the same origin offset, is refused after the redrive.
    after_the_redrive = datetime.now(UTC) + timedelta(seconds=1)
    _run(capsys, monkeypatch, [_letter(0, 7, "e7", failed=after_the_redrive)])
    assert _sent() == [b'{"event_id": "e7"}'] * 2


def test_a_letter_of_another_prefix_sharing_the_home_is_sent(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(capsys, monkeypatch, [_letter(0, 7, "production")])
    monkeypatch.setenv("LIFECYCLE_TOPIC_PREFIX", "staging")
    _run(capsys, monkeypatch, [_letter(0, 7, "staging", prefix="staging")])
    assert [topic for topic, _key, _value in AckingProducer.sent] == ["lifecycle.renewals", "staging.renewals"]


def _parsed(record: Record) -> Letter:
    letter = parse_letter(record.key, record.value, record.partition, record.offset)
    assert letter is not None
    return letter


def test_a_line_naming_the_later_letter_of_an_original_passes_over_the_earlier_one() -> None:
    first, later = _letter(0, 7, "e7"), _letter(1, 7, "e7")
    line = {
        "deadletter": {"topic": "lifecycle.deadletter", "partition": 0, "offset": 1, "failed_at": "x"},
        "original": dict(zip(("topic", "partition", "offset", "sha256"), _parsed(later).original, strict=True)),
    }
    choice = choose([_parsed(first), _parsed(later)], "lifecycle", redriven=redriven([line], "lifecycle.deadletter"))
    assert (choice.chosen, choice.skipped) == ([], {REDRIVEN_BEFORE: 2})


def test_lines_written_before_the_topic_was_kept_count_for_the_prefix_they_sent_to() -> None:
    line = {"deadletter": {"partition": 0, "offset": 0}, "sent_to": {"topic": "lifecycle.renewals", "partition": 2}}
    letters = [_parsed(_letter(0, 7, "e7")), _parsed(_letter(1, 7, "e7")), _parsed(_letter(2, 8, "e8"))]
    choice = choose(letters, "lifecycle", redriven=redriven([line], "lifecycle.deadletter"))
    # The letter after it holds the same original: passed over too; another original is sent.
    assert ([x.offset for x in choice.chosen], choice.skipped) == ([2], {REDRIVEN_BEFORE: 2})

    staging = [_parsed(_letter(0, 7, "e7", prefix="staging"))]
    assert len(choose(staging, "staging", redriven=redriven([line], "staging.deadletter")).chosen) == 1


def test_an_original_refused_after_its_offset_was_committed_is_sent_back_again_when_refused_again(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A held event refused when its hold expires names no origin position; so does its copy refused again.
    original = b'{"event_id": "held"}'
    first = deadletter_record(
        "no purchase after 30 days", "lifecycle.renewals", -1, -1, b"SN-1", original, "processor", AT
    )
    later = datetime(2026, 12, 1, tzinfo=UTC)
    again = deadletter_record(
        "no purchase after 30 days", "lifecycle.renewals", -1, -1, b"SN-1", original, "processor", later
    )
    _run(capsys, monkeypatch, [Record(0, 0, b"SN-1", first)])
    assert _run(capsys, monkeypatch, [Record(0, 0, b"SN-1", first), Record(0, 1, b"SN-1", again)])[:3] == [
        "2 dead letters; sending back 1",
        "  lifecycle.renewals: 1",
        f"  skipped, {REDRIVEN_BEFORE}: 1",
    ]
    assert _sent() == [original, original]
