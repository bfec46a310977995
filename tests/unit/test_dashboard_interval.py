"""`lifecycle dashboard --interval`: a finite number of seconds above zero, else one line from argparse."""

from __future__ import annotations

import argparse

import pytest

from lifecycle.dashboard.command import add_arguments


def _interval(value: str) -> float:
    parser = argparse.ArgumentParser(prog="lifecycle dashboard")
    add_arguments(parser)
    interval: float = parser.parse_args([f"--interval={value}"]).interval
    return interval


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-5", "three"])
def test_an_interval_that_is_not_a_finite_number_of_seconds_above_zero_is_refused(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _interval(value)

    assert exited.value.code == 2
    assert f"argument --interval: {value!r} is not a number of seconds above zero" in capsys.readouterr().err


def test_a_fraction_of_a_second_is_an_interval() -> None:
    assert _interval("0.5") == 0.5
