"""Standard output that fails: a closed pipe ends the command quietly (status 141), any other failure is one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import orjson
import pytest
from cli_process import FAKE_EMIT_KAFKA, FAKE_TOPICS, run, run_into_closed_pipe

from lifecycle.samples import build_sample

CLOSED_PIPE_STATUS = 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`'s writer
SUMMARY = "sent 3 events (releases 3), refused 0 lines"


@pytest.fixture
def events(tmp_path: Path) -> Path:
    """The first three sample events (releases), as emit and replay read them."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in build_sample()[:3]))
    return path


def _commands(events: Path) -> dict[str, tuple[list[str], str]]:
    """Each command that writes to standard output, with the fakes it needs."""
    return {
        "samples": (["samples"], ""),
        "replay": (["replay", str(events), "--as-of", "2030-01-01T00:00:00Z"], ""),
        "emit": (["emit", str(events)], FAKE_EMIT_KAFKA),
        "topics": (["topics", "--check"], FAKE_TOPICS),
    }


@pytest.mark.parametrize("name", ["samples", "replay", "topics"])
def test_a_closed_pipe_ends_the_command_quietly_as_sigpipe_would(name: str, events: Path, tmp_path: Path) -> None:
    args, setup = _commands(events)[name]
    assert run_into_closed_pipe(args, tmp_path, setup) == (CLOSED_PIPE_STATUS, "")


def test_emit_into_a_closed_pipe_still_says_what_it_sent(events: Path, tmp_path: Path) -> None:
    args, setup = _commands(events)["emit"]
    assert run_into_closed_pipe(args, tmp_path, setup) == (
        CLOSED_PIPE_STATUS,
        f"lifecycle emit: {SUMMARY} (standard output was closed)\n",
    )


@pytest.mark.parametrize("name", ["samples", "replay", "emit", "topics"])
def test_a_full_device_is_one_line(name: str, events: Path, tmp_path: Path) -> None:
    args, setup = _commands(events)[name]
    with Path("/dev/full").open("wb") as full:
        done = run(args, tmp_path, setup=setup, stdout=full)
    sent = f"; {SUMMARY}" if name == "emit" else ""  # the events went out: what was sent is not lost
    assert (done.returncode, done.stderr) == (
        2,
        f"lifecycle {name}: cannot write to standard output: No space left on device{sent}\n",
    )


@pytest.mark.parametrize("name", ["samples", "replay", "emit"])
def test_a_closed_standard_output_is_one_line(name: str, events: Path, tmp_path: Path) -> None:
    args, setup = _commands(events)[name]
    done = run(args, tmp_path, setup=setup, closed=[1])
    sent = f"; {SUMMARY}" if name == "emit" else ""
    assert (done.returncode, done.stderr) == (
        2,
        f"lifecycle {name}: cannot write to standard output: it is closed{sent}\n",
    )


def test_output_that_goes_through_is_unchanged(events: Path, tmp_path: Path) -> None:
    args, setup = _commands(events)["emit"]
    done = run(args, tmp_path, setup=setup, stdout=subprocess.PIPE)
    assert (done.returncode, done.stdout, done.stderr) == (0, SUMMARY + "\n", "")
