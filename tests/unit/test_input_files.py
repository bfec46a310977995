"""emit's and replay's input: any file that cannot be opened or read is one line naming it and the reason."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import pytest

from lifecycle.cli import main
from lifecycle.errors import UserError
from lifecycle.input_files import _lines, open_input, open_input_bytes


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


@pytest.mark.parametrize("command", ["replay", "emit"])
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("file/x", "Not a directory"),  # a file taken for a folder
        ("a" * 300, "File name too long"),
        ("missing.jsonl", "No such file or directory"),
        (".", "Is a directory"),
    ],
)
def test_a_path_that_cannot_be_opened_is_one_line(
    command: str, name: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("{}\n")
    path = tmp_path / name
    assert main([command, str(path)]) == 2
    assert _one_line(capsys) == f"lifecycle {command}: cannot read {str(path)!r}: {reason}"


class FailingRead:
    """A file whose reads fail after its first line (a disk error, a network file system gone away)."""

    def __init__(self) -> None:
        self.lines = ["{}\n"]

    def readline(self, _size: int) -> str:
        if self.lines:
            return self.lines.pop()
        raise OSError(errno.EIO, "Input/output error")


def test_a_read_that_fails_part_way_is_one_line_after_the_lines_read() -> None:
    lines = _lines("'events.jsonl'", cast(IO[str], FailingRead()), utf8=True)
    assert next(lines) == "{}\n"
    with pytest.raises(UserError, match=r"^cannot read 'events\.jsonl': Input/output error$"):
        next(lines)


def _write_out(lines: Iterator[Any]) -> None:
    """A caller whose own output fails while it works through the lines."""
    for _line in lines:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


@pytest.mark.parametrize("opener", [open_input, open_input_bytes])
def test_an_error_of_the_callers_own_work_is_not_taken_for_the_file(opener: Any, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("{}\n")
    with pytest.raises(BrokenPipeError), opener(str(path)) as lines:
        _write_out(lines)


def test_the_byte_lines_keep_a_non_utf8_byte_for_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"a": 1}\n{"note": "caf\xe9"}\n')
    with open_input_bytes(str(path)) as lines:
        assert list(lines) == [b'{"a": 1}\n', b'{"note": "caf\xe9"}\n']
