"""Bad arguments and bad files: one line on standard error naming what is wrong, and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lifecycle.cli import main
from lifecycle.errors import UserError
from lifecycle.input_files import open_input


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The only line written to standard error."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], "lifecycle: the following arguments are required: COMMAND"),
        (["nosuch"], "lifecycle: argument COMMAND: invalid choice: 'nosuch'"),
        (["replay"], "lifecycle replay: the following arguments are required: events"),
        (["replay", "x.jsonl", "--as-of", "yesterday"], "lifecycle replay: argument --as-of: 'yesterday' is not"),
        (["scheduler", "--once", "--since", "2024-05-01"], "lifecycle scheduler: argument --since: '2024-05-01'"),
        (["store", "--batch-size", "0"], "lifecycle store: argument --batch-size: '0' is not a whole number"),
        (["samples", "--synthetic", "many"], "lifecycle samples: argument --synthetic: 'many' is not"),
        (["db", "drop"], "lifecycle db: argument action: invalid choice: 'drop'"),
        (["topics", "--force"], "lifecycle: unrecognized arguments: --force"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    line = one_error_line(capsys)
    assert line.startswith(expected), line
    assert line.endswith("--help`)")


def test_replay_where_every_line_is_rejected_prints_its_document_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"x": 1}\nnot json\n\n')
    assert main(["replay", str(path), "--as-of", "2024-05-01T00:00:00Z"]) == 2
    captured = capsys.readouterr()
    assert [item["line"] for item in json.loads(captured.out)["rejected"]] == [1, 2]
    assert captured.err.splitlines() == [
        "lifecycle replay: no event was accepted: 2 rejected, the first on line 1 (type: None is not one of "
        "purchase, registration, renewal, upgrade, release, tick, case_opened); see `rejected` in the output"
    ]


def test_a_file_that_is_not_text_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """For replay; emit refuses such a line like any other bad line (tests/unit/test_emit_input.py)."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type": "purchase"}\n\xff\xfe\x00garbage\n')
    assert main(["replay", str(path)]) == 2
    assert (
        one_error_line(capsys)
        == f"lifecycle replay: {str(path)!r} is not UTF-8 text (invalid start byte): pass a JSON-lines file"
    )
    with pytest.raises(UserError, match="is not UTF-8 text"), open_input(str(path)) as lines:
        list(lines)


@pytest.mark.parametrize("name", ["missing.jsonl", "."])
def test_a_file_that_cannot_be_read_is_one_line(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / name)]) == 2
    assert one_error_line(capsys).startswith(f"lifecycle replay: cannot read {str(tmp_path / name)!r}: ")


def test_samples_into_a_folder_that_does_not_exist_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "no" / "such" / "samples.jsonl"
    assert main(["samples", "--out", str(target)]) == 2
    assert one_error_line(capsys) == f"lifecycle samples: cannot write {str(target)!r}: No such file or directory"
