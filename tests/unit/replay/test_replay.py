"""`lifecycle replay` end to end on the sample stream, and its handling of bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from lifecycle.cli import main
from lifecycle.samples import build_sample
from schemas.codec import load_schema

EXPECTED = Path(__file__).parent / "data" / "sample-replay.json"
AS_OF = "2026-11-01T00:00:00Z"


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample.jsonl"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in build_sample()))
    return path


def test_sample_stream_gives_the_checked_in_output(sample_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(sample_file), "--as-of", AS_OF]) == 0
    produced = json.loads(capsys.readouterr().out)
    expected = json.loads(EXPECTED.read_text())
    assert produced["as_of"] == AS_OF
    assert produced["entitlements"] == expected["entitlements"]
    assert produced["notices"] == expected["notices"]
    assert produced["rejected"] == expected["rejected"]
    assert produced["held"] == expected["held"]
    assert produced["case_decisions"] == expected["case_decisions"]


def test_sample_stream_exercises_every_status_notice_and_refusal() -> None:
    expected = json.loads(EXPECTED.read_text())
    statuses = {e["status"] for e in expected["entitlements"]}
    assert statuses == set(load_schema("entitlement")["properties"]["status"]["enum"])
    kinds = {n["kind"] for n in expected["notices"]}
    assert kinds == set(load_schema("notice")["properties"]["kind"]["enum"])
    reasons = " ".join(r["reason"] for r in expected["rejected"])
    for fragment in ("Home products only", "no purchase for serial", "Home perpetual license", "OEM product"):
        assert fragment in reasons
    assert [e["serial"] for e in expected["entitlements"]] == sorted(e["serial"] for e in expected["entitlements"])
    bases = {d["basis"] for d in expected["case_decisions"]}
    assert bases == set(load_schema("case_decision")["properties"]["basis"]["enum"]) - {"home_subscription"}
    options = {option for d in expected["case_decisions"] for option in d["options"]}
    assert options >= {"buy_ppi", "renew_advantage", "contact_oem_vendor", "knowledge_base", "use_chat_or_email"}


def test_bad_lines_are_rejected_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = build_sample()[:20]
    lines = [orjson.dumps(e).decode() for e in events]
    lines.insert(3, "{oops")
    purchase = next(e for e in events if e["type"] == "purchase")
    lines.insert(7, json.dumps({**purchase, "event_id": "bad-1", "channel": "flea_market"}))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["replay", str(path), "--as-of", AS_OF]) == 0
    rejected = json.loads(capsys.readouterr().out)["rejected"]
    assert rejected[0]["line"] == 4
    assert rejected[0]["reason"].startswith("not JSON")
    assert rejected[1] == {"line": 8, "event_id": "bad-1", "reason": rejected[1]["reason"]}
    assert rejected[1]["reason"].startswith("channel: must be one of")


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_replay_is_deterministic(sample_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["replay", str(sample_file), "--as-of", AS_OF])
    first = capsys.readouterr().out
    main(["replay", str(sample_file), "--as-of", AS_OF])
    assert capsys.readouterr().out == first


def test_an_empty_stream_gives_a_document_with_empty_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    assert main(["replay", str(path), "--as-of", AS_OF]) == 0
    expected = {"as_of": AS_OF, "entitlements": [], "notices": [], "rejected": [], "held": [], "case_decisions": []}
    assert json.loads(capsys.readouterr().out) == expected


def test_events_still_waiting_for_their_purchase_are_listed_as_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R14a: a renewal with no purchase yet is held (not rejected) until its hold period is over."""
    renewal = next(e for e in build_sample() if e["type"] == "renewal")
    path = tmp_path / "renewal.jsonl"
    path.write_bytes(orjson.dumps(renewal) + b"\n")
    assert main(["replay", str(path), "--as-of", renewal["occurred_at"]]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["rejected"] == []
    assert document["held"] == [
        {
            "serial": renewal["serial"],
            "event_id": renewal["event_id"],
            "type": "renewal",
            "occurred_at": renewal["occurred_at"],
            "since": renewal["occurred_at"],
        }
    ]
