"""emit's and replay's input at its edges: a closed standard input, a line with no end, names that hide characters."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

import orjson
import pytest
from cli_process import FAKE_EMIT_KAFKA, command, environment, finish, run
from examples import example

from lifecycle import input_files
from lifecycle.cli import main
from lifecycle.input_files import MAX_LINE_BYTES, LongLine, open_input, open_input_bytes
from lifecycle.replay import replay_events

TOO_LONG = "longer than 1,048,588 bytes, the largest message a topic takes"


def purchase(n: int) -> bytes:
    """A valid purchase line of serial SN-n."""
    return orjson.dumps({**example("purchase"), "event_id": f"ev-{n}", "serial": f"SN-{n}"}) + b"\n"


@pytest.mark.parametrize("name", ["replay", "emit"])
def test_a_closed_standard_input_is_one_line(name: str, tmp_path: Path) -> None:
    done = run([name, "-"], tmp_path, closed=[0])
    assert (done.returncode, done.stderr) == (
        2,
        f"lifecycle {name}: cannot read standard input: it is closed; pass the events in a file, or pipe them in\n",
    )


@pytest.mark.parametrize(
    ("name", "shown"), [("", "''"), ("new\nline.jsonl", "'new\\nline.jsonl'"), ("\x1b[2J", "'\\x1b[2J'")]
)
@pytest.mark.parametrize("command_name", ["replay", "emit"])
def test_a_name_is_quoted_with_its_control_characters_escaped(
    command_name: str, name: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([command_name, name]) == 2
    assert capsys.readouterr().err == f"lifecycle {command_name}: cannot read {shown}: No such file or directory\n"


class EndlessLine:
    """A file whose first line runs on for `pieces` reads of whatever size is asked, then ends; then `{}`."""

    def __init__(self, pieces: int) -> None:
        self.pieces = pieces
        self.sizes: list[int] = []
        self.rest = ["{}\n", "\n"]

    def readline(self, size: int) -> str:
        self.sizes.append(size)
        if self.pieces:
            self.pieces -= 1
            return "0" * size
        return self.rest.pop() if self.rest else ""


def test_a_line_with_no_end_is_read_a_bounded_piece_at_a_time_and_refused() -> None:
    handle = EndlessLine(pieces=50)  # 50 MB in one line
    lines = list(input_files._lines("f", cast(IO[str], handle), utf8=True))
    assert [type(line) for line in lines] == [LongLine, str]
    assert lines[1] == "{}\n"
    assert max(handle.sizes) == MAX_LINE_BYTES + 1


@pytest.mark.parametrize(
    ("line", "too_long"),
    [
        (b"0" * MAX_LINE_BYTES + b"\r\n", False),
        (b"0" * (MAX_LINE_BYTES + 1) + b"\n", True),
        (b"0" * (MAX_LINE_BYTES + 1), True),  # the last line, no end
        ("é".encode() * (MAX_LINE_BYTES // 2 + 1), True),  # fewer characters than the limit, more bytes
    ],
    ids=["at-the-limit", "one-more", "one-more-unended", "in-utf8-bytes"],
)
def test_the_limit_counts_the_bytes_of_a_line_without_its_end(line: bytes, too_long: bool, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(line)
    with open_input(str(path)) as text, open_input_bytes(str(path)) as raw:
        assert [isinstance(item, LongLine) for item in text] == [too_long]
        assert [isinstance(item, LongLine) for item in raw] == [too_long]


def test_a_line_too_long_is_refused_with_its_number_and_the_next_lines_go_on(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(purchase(1) + b'{"note": "' + b"x" * MAX_LINE_BYTES + b'"}\n' + purchase(3))
    with open_input(str(path)) as lines:
        document = replay_events(lines, None)
    assert document["rejected"] == [{"line": 2, "event_id": None, "reason": TOO_LONG}]
    assert sorted(entitlement["serial"] for entitlement in document["entitlements"]) == ["SN-1", "SN-3"]

    done = run(["emit", str(path)], tmp_path, setup=FAKE_EMIT_KAFKA)
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "sent 2 events (purchases 2), refused 1 lines\n",
        f"line 2: {TOO_LONG}\n",
    )


# 1 GiB of address space at most, should the line be held whole after all.
LIMITED = "import resource\nresource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"


@pytest.mark.parametrize("name", ["replay", "emit"])
def test_dev_zero_is_read_in_bounded_memory_until_interrupted(name: str, tmp_path: Path) -> None:
    setup = LIMITED + (FAKE_EMIT_KAFKA if name == "emit" else "")
    with subprocess.Popen(
        command([name, "/dev/zero"], setup),
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        time.sleep(3)  # a line held whole grows by some 300 MB a second
        peak = Path(f"/proc/{process.pid}/status").read_text().split("VmHWM:")[1].split()[0]
        process.send_signal(signal.SIGINT)
        _, err = finish(process)
    assert int(peak) < 200_000, f"{peak} kB"
    assert process.returncode == 130, err
    expected = (
        f"line 1: {TOO_LONG}\nlifecycle emit: interrupted by SIGINT after line 1; the lines after it were not read: "
        "resume from line 2\n"
    )
    assert err == (expected if name == "emit" else "")


def test_the_first_line_is_refused_unread_even_when_it_would_start_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"0" * (MAX_LINE_BYTES + 1) + b"\n" + purchase(2))
    with open_input_bytes(str(path)) as lines:
        items: Iterator[bytes | LongLine] = iter(lines)
        assert isinstance(next(items), LongLine)
        assert next(items) == purchase(2)
