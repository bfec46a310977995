"""Options past what the pipeline can hold are one line from argparse, not a traceback once the command has run."""

from __future__ import annotations

import argparse

import pytest

from lifecycle.arguments import instant, positive_int, seconds, whole_number
from lifecycle.cli import main
from lifecycle.settings_types import MAX_BATCH, MAX_COUNT

HUGE = "99999999999999999999"


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a bad option gives (exit 2, no traceback)."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = err.splitlines()
    return line


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC: OverflowError once the replay had run
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "9999-12-31T23:59:59Z",
        "0002-01-01T00:00:00Z",
        "9000-01-01T00:00:00Z",
        "1989-12-31T23:59:59Z",
        "1990-01-01T00:30:00+01:00",  # 1989 in UTC
        "2100-12-31T23:30:00-01:00",  # 2101 in UTC
    ],
)
@pytest.mark.parametrize("command", [["replay", "events.jsonl"], ["scheduler", "--once"]])
def test_an_instant_outside_the_contract_years_is_refused(
    value: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    line = refusal([*command, f"--as-of={value}"], capsys)
    assert f"argument --as-of: {value!r} is outside the years 1990 through 2100 (UTC)" in line


def test_the_scheduler_since_is_bounded_alike(capsys: pytest.CaptureFixture[str]) -> None:
    assert "argument --since: '0002-01-01T00:00:00Z' is outside the years" in refusal(
        ["scheduler", "--once", "--since=0002-01-01T00:00:00Z"], capsys
    )


@pytest.mark.parametrize("value", ["1990-01-01T00:00:00Z", "2100-12-31T23:59:59Z", "2027-03-15T01:00:00+02:00"])
def test_the_instants_of_the_contract_years_are_taken(value: str) -> None:
    assert instant(value).isoformat().startswith(value[:19])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["store", "--batch-size", HUGE], f"argument --batch-size: '{HUGE}' is not a whole number from 1 to 100,000"),
        (["store", "--batch-size", "100001"], "argument --batch-size: '100001' is not a whole number from 1 to"),
        (["bench", "processor", "--events", "0"], "argument --events: '0' is not a whole number from 1 to"),
        (["bench", "processor", "--events", "-5"], "argument --events: '-5' is not a whole number from 1 to"),
        (["bench", "processor", "--events", HUGE], f"argument --events: '{HUGE}' is not a whole number from 1"),
        (["notifier", "--max-backoff", "-1"], "argument --max-backoff: '-1' is not a number of seconds above zero"),
        (["notifier", "--max-backoff", "nan"], "argument --max-backoff: 'nan' is not a number of seconds above"),
        (["notifier", "--max-backoff", "1e300"], "argument --max-backoff: '1e300' is not a number of seconds"),
        (["worker", "--loglevel", "bogus"], "argument --loglevel: invalid choice: 'bogus' (choose from 'critical'"),
    ],
)
def test_a_number_or_level_the_process_cannot_use_is_one_line(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = refusal(argv, capsys)
    assert line.startswith(f"lifecycle {argv[0]}: {expected}"), line


def test_the_bounds_themselves_are_taken() -> None:
    assert (whole_number(MAX_BATCH)(str(MAX_BATCH)), positive_int(str(MAX_COUNT)), positive_int("1")) == (
        MAX_BATCH,
        MAX_COUNT,
        1,
    )
    assert seconds("30") == 30.0
    with pytest.raises(argparse.ArgumentTypeError):
        positive_int(str(MAX_COUNT + 1))


def test_a_log_level_is_read_in_any_case() -> None:
    from streams.command import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--loglevel", "WARNING"]).loglevel == "warning"
    assert parser.parse_args([]).loglevel == "info"
