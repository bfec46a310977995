"""What `lifecycle redrive` prints of a letter is escaped, and letters of a topic that does not exist are left out
(counted, the topic named) while the rest are sent back."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from redrive_fakes import AckingProducer, Record, TopicConsumer, redrive_on_fakes

from lifecycle import cli, redrive, redrive_report
from lifecycle.deadletter import deadletter_record
from lifecycle.redrive_report import absent_topics, printable
from lifecycle.settings import Settings

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 1, tzinfo=UTC)
BIG = b'{"notes": "' + b"x" * 200 + b'"}'
HOSTILE = "state too large\x1b]0;owned\x07\n\x1b[31mFAKE: all sent\u202e"


def _letter(offset: int, origin: str, reason: str = "no purchase yet", original: bytes | None = None) -> Record:
    value = original or f'{{"event_id": "e{offset}"}}'.encode()
    record = deadletter_record(reason, origin, 2, offset, b"SN-1", value, "processor", AT, preview_bytes=64)
    return Record(0, offset, b"SN-1", record)


class Admin:
    """An admin client whose broker has the definition's topics under `lifecycle`."""

    def list_topics(self) -> list[str]:
        return ["lifecycle.deadletter", "lifecycle.renewals", "lifecycle.upgrades"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    @contextmanager
    def admin_client(_settings: Settings) -> Iterator[Any]:
        yield Admin()

    redrive_on_fakes(tmp_path, monkeypatch)
    monkeypatch.setattr(redrive, "absent_topics", absent_topics)
    monkeypatch.setattr(redrive_report, "admin_client", admin_client)
    return tmp_path


def test_letters_of_a_topic_that_does_not_exist_are_left_out_and_the_rest_sent(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [_letter(0, "lifecycle.renewals"), _letter(1, "lifecycle.gone"), _letter(2, "lifecycle.upgrades")]
    monkeypatch.setattr(TopicConsumer, "records", [*records, _letter(3, "lifecycle.gone\x1b[2J")])

    assert cli.main(["redrive"]) == 1  # not all it was asked: two letters wait for their topics
    assert [topic for topic, _, _ in AckingProducer.sent] == ["lifecycle.renewals", "lifecycle.upgrades"]
    assert capsys.readouterr().out.splitlines() == [
        "4 dead letters; sending back 2",
        "  lifecycle.renewals: 1",
        "  lifecycle.upgrades: 1",
        "  left out, topic lifecycle.gone does not exist: 1 (create it, then run the redrive again)",
        "  left out, topic lifecycle.gone\\x1b[2J does not exist: 1 (create it, then run the redrive again)",
        f"sent back 2; audit lines in {home / 'audit' / 'redrive.jsonl'}",
    ]


def test_a_letter_s_reason_and_topic_are_printed_escaped_on_one_line(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(TopicConsumer, "records", [_letter(0, "lifecycle.renewals\x1b[2J", HOSTILE, BIG)])

    assert cli.main(["redrive", "--dry-run"]) == 0
    sha256 = hashlib.sha256(BIG).hexdigest()
    assert capsys.readouterr().out.splitlines() == [
        "1 dead letters; would send back 0",
        f"  not sent back, original not kept whole: lifecycle.renewals\\x1b[2J, {len(BIG)} bytes, sha256 {sha256}: "
        "state too large\\x1b]0;owned\\x07\\n\\x1b[31mFAKE: all sent\\u202e",
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("renewal of unknown serial SN-1 (café, 12 €)", "renewal of unknown serial SN-1 (café, 12 €)"),
        ("a\tb\r\nc\x00\x7f\x9b", "a\\tb\\r\\nc\\x00\\x7f\\x9b"),
        ("C:\\path", "C:\\\\path"),  # a backslash too: `\\n` in a reason never reads as an escaped newline
        ("\u2028\u200b\U000e0001", "\\u2028\\u200b\\U000e0001"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
