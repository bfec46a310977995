"""`samples --out`: any file that cannot be written is one line; the file is whole or as it was, never cut."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import BinaryIO

import pytest
from cli_process import command, environment, finish

from lifecycle.cli import main
from lifecycle.errors import UserError
from lifecycle.samples.out_file import write_whole


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/dev/full", "No space left on device"),
        ("/proc/version", r".+ \(creating a file in '/proc'\)"),  # a folder that takes no new file (root: ENOENT)
        ("file/x", "Not a directory"),
        ("a" * 300, "File name too long"),
        ("loop", "Too many levels of symbolic links"),
        ("no\nsuch/x", "No such file or directory"),
    ],
)
def test_a_file_that_cannot_be_written_is_one_line_naming_it_quoted(
    name: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("file").write_text("")
    Path("loop").symlink_to("loop")
    assert main(["samples", "--out", name]) == 2
    line = _one_line(capsys)
    assert re.fullmatch(f"lifecycle samples: cannot write {re.escape(repr(name))}: {reason}", line), line


def test_an_empty_name_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples", "--out", ""]) == 2
    assert _one_line(capsys).startswith("lifecycle samples: cannot write '': the file name is empty; ")


def _fails_part_way(out: BinaryIO) -> int:
    out.write(b'{"event_id": "e1"}\n')
    raise OSError(errno.ENOSPC, "No space left on device")


def _interrupted_part_way(out: BinaryIO) -> int:
    out.write(b'{"event_id": "e1"}\n')
    raise KeyboardInterrupt


def test_a_write_that_fails_part_way_leaves_the_file_as_it_was_and_no_part(tmp_path: Path) -> None:
    target = tmp_path / "samples.jsonl"
    target.write_text("the previous samples\n")
    with pytest.raises(UserError, match=r"^cannot write '.*samples\.jsonl': No space left on device$"):
        write_whole(str(target), _fails_part_way)
    with pytest.raises(KeyboardInterrupt):
        write_whole(str(target), _interrupted_part_way)
    assert [path.name for path in tmp_path.iterdir()] == ["samples.jsonl"]
    assert target.read_text() == "the previous samples\n"


def test_the_file_is_replaced_whole_through_a_link_keeping_its_permissions(tmp_path: Path) -> None:
    target, link = tmp_path / "samples.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    link.symlink_to(target.name)
    assert write_whole(str(link), lambda out: out.write(b"new\n")) == 4
    assert link.is_symlink()
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.jsonl", "samples.jsonl"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_part_way_leaves_no_file_that_looks_complete(signum: signal.Signals, tmp_path: Path) -> None:
    target = tmp_path / "synthetic.jsonl"
    args = ["samples", "--synthetic", "5000000", "--out", str(target)]
    with subprocess.Popen(command(args), env=environment(tmp_path), stderr=subprocess.PIPE, text=True) as process:
        deadline = time.monotonic() + 60
        while not any(path.name.endswith(".part") for path in tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signum)
        _, err = finish(process)
    assert process.returncode == 128 + signum
    assert err == f"lifecycle samples: interrupted by {signum.name}: {str(target)!r} left as it was\n"
    assert os.listdir(tmp_path) == []
