"""`lifecycle redrive` run after run: what the audit names is not sent again unless asked, latest-state topics
are never written back to, and an unwritable audit file stops it in one line before anything is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from redrive_fakes import AckingProducer, Record, TopicConsumer, redrive_on_fakes

from lifecycle import cli
from lifecycle.deadletter import deadletter_record

pytestmark = pytest.mark.unit

AT = datetime(2026, 11, 1, tzinfo=UTC)


def _letter(offset: int, origin: str, reason: str = "no purchase for serial SN-1 after 30 days") -> Record:
    original = f'{{"event_id": "e{offset}"}}'.encode()
    value = deadletter_record(reason, f"lifecycle.{origin}", 2, offset, b"SN-1", original, "processor", AT)
    return Record(0, offset, b"SN-1", value)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(TopicConsumer, "records", [_letter(0, "renewals"), _letter(1, "upgrades")])
    return redrive_on_fakes(tmp_path, monkeypatch)


def _run(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[str], str]:
    code = cli.main(["redrive", *options])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_a_second_run_sends_nothing_the_audit_names_as_redriven_unless_asked_again(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "--origin", "renewals")[:2] == (
        0,
        [
            "2 dead letters; sending back 1",
            "  lifecycle.renewals: 1",
            "  skipped, filtered out: 1",
            f"sent back 1; audit lines in {home / 'audit' / 'redrive.jsonl'}",
        ],
    )

    assert _run(capsys, "--dry-run")[1] == [
        "2 dead letters; would send back 1",
        "  lifecycle.upgrades: 1",
        "  skipped, redriven before (--again sends it again): 1",
    ]
    assert _run(capsys)[0] == 0
    assert [topic for topic, _, _ in AckingProducer.sent] == ["lifecycle.renewals", "lifecycle.upgrades"]
    assert _run(capsys)[1] == [
        "2 dead letters; sending back 0",
        "  skipped, redriven before (--again sends it again): 2",
    ]

    assert _run(capsys, "--again", "--origin", "renewals", "--dry-run")[1] == [
        "2 dead letters; would send back 1 (--again: letters redriven before included)",
        "  lifecycle.renewals: 1",
        "  skipped, filtered out: 1",
    ]
    assert _run(capsys, "--again", "--origin", "renewals")[0] == 0
    assert [topic for topic, _, _ in AckingProducer.sent][2:] == ["lifecycle.renewals"]
    assert (home / "audit" / "redrive.jsonl").read_text().count("deadletter_redriven") == 3


@pytest.mark.parametrize("origin", ["holds", "entitlements", "releases"])
def test_a_letter_from_a_latest_state_topic_is_never_written_back_over_newer_records(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, origin: str
) -> None:
    monkeypatch.setattr(TopicConsumer, "records", [_letter(0, origin, "value out of range"), _letter(1, "renewals")])

    code, out, _ = _run(capsys, "--again")

    assert code == 0
    assert out[:3] == [
        "2 dead letters; sending back 1 (--again: letters redriven before included)",
        "  lifecycle.renewals: 1",
        "  skipped, from a latest-state topic, never sent back (a copy could replace a newer record): 1",
    ]
    assert [topic for topic, _, _ in AckingProducer.sent] == ["lifecycle.renewals"]


def test_an_audit_file_that_cannot_be_written_stops_the_run_in_one_line_before_anything_is_sent(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = home / "home-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("LIFECYCLE_HOME", str(not_a_folder))

    code, _, err = _run(capsys)

    assert code == 2
    assert err == (
        f"lifecycle redrive: cannot write the redrive audit file {not_a_folder / 'audit' / 'redrive.jsonl'} "
        "(Not a directory): point LIFECYCLE_HOME at a writable folder; nothing was sent\n"
    )
    assert AckingProducer.sent == []
