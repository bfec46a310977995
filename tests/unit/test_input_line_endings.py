"""emit and replay read a file into the same numbered lines, whatever its line endings or a leading BOM."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from examples import example

from lifecycle.emit import Outgoing, Refused, prepare_lines
from lifecycle.input_files import open_input, open_input_bytes
from lifecycle.replay.command import replay_events

AS_OF = datetime(2030, 1, 1, tzinfo=UTC)


def _purchase(serial: str) -> bytes:
    return orjson.dumps({**example("purchase"), "event_id": f"p-{serial}", "serial": serial})


# Lines 1-7: an event, a blank line, a refused line, an event, another blank, another refusal, an event.
LINES = [_purchase("S-1"), b"", b"{not json", _purchase("S-2"), b"   ", b'{"type": "purchase"}', _purchase("S-3")]
REFUSED = [3, 6]


def _joined(*endings: bytes) -> bytes:
    """LINES each ended by the next of `endings`, in turn."""
    return b"".join(line + endings[number % len(endings)] for number, line in enumerate(LINES))


@pytest.mark.parametrize(
    "data",
    [
        _joined(b"\r"),
        _joined(b"\r\n"),
        _joined(b"\n"),
        _joined(b"\n", b"\r", b"\r\n"),
        _joined(b"\r\n", b"\r")[:-1],  # no final line ending
        b"\xef\xbb\xbf" + _joined(b"\r\n"),  # a file saved by a Windows editor
    ],
    ids=["cr", "crlf", "lf", "mixed", "no-final-ending", "bom"],
)
def test_emit_and_replay_number_the_same_lines(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    with open_input_bytes(str(path)) as lines:
        emitted = list(prepare_lines(lines))
    with open_input(str(path)) as lines:
        document = replay_events(lines, AS_OF)

    assert [item.line for item in emitted if isinstance(item, Refused)] == REFUSED
    assert [item.line for item in emitted if isinstance(item, Outgoing)] == [1, 4, 7]
    assert [rejected["line"] for rejected in document["rejected"]] == REFUSED


def test_replay_reads_standard_input_with_the_same_line_endings_as_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(_joined(b"\r"))
    with path.open(encoding="utf-8", newline="\n") as stdin:  # as standard input is opened: LF alone ends a line
        monkeypatch.setattr("sys.stdin", stdin)
        with open_input("-") as lines:
            document = replay_events(lines, AS_OF)

    assert [rejected["line"] for rejected in document["rejected"]] == REFUSED
