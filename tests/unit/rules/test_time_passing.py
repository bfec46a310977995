"""Time passing for one serial: the short path for a clock that only moves gives what the full publish gives."""

from __future__ import annotations

import ast
import inspect
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journeys import POLICY, at

from lifecycle.rules import (
    Outcome,
    Release,
    SerialState,
    advance,
    apply_event,
    catalog_from_releases,
    publishing,
)
from lifecycle.rules.engine import current_fold, event_time
from lifecycle.rules.folding import Step
from lifecycle.rules.timeflow import advance_fold
from lifecycle.samples import events as ev

pytestmark = pytest.mark.unit

CATALOG = catalog_from_releases(
    [Release("true-image", "2025", at("2025-01-01").date()), Release("true-image", "2026", at("2026-02-01").date())]
)


def _state(kind: str) -> SerialState:
    """A serial after a purchase (and a registration for the boxed one), with a kind of future ahead."""
    start = at("2025-03-01")
    if kind == "subscription":
        events = [ev.purchase("p", start, "S", "a", "true-image", "2025", license_type="subscription", term_months=12)]
    elif kind == "perpetual":
        events = [ev.purchase("p", start, "S", "a", "true-image", "2025")]
    else:  # a boxed product, registered: its support starts on the registration
        events = [
            ev.purchase("p", start, "S", "a", "backup-advanced", "12", channel="retail_box"),
            ev.registration("r", start + timedelta(days=3), "S", "a"),
        ]
    state: SerialState | None = None
    for event in events:
        state = apply_event(state, event, event_time(event), CATALOG, POLICY).state
    assert state is not None
    return state


def _later(state: SerialState, days: int) -> datetime:
    assert state.clock is not None
    return state.clock + timedelta(days=days)


def _published(state: SerialState, days: int) -> Outcome:
    """What time passing gives through the full publish, the path every other change takes."""
    until = _later(state, days)
    fold, notices = advance_fold(current_fold(state, CATALOG, POLICY), until, CATALOG, POLICY)
    return publishing.publish(state, Step(fold, notices), state.window, CATALOG, POLICY)


def _every_field(state: SerialState | None) -> dict[str, Any]:
    assert state is not None
    return {f.name: getattr(state, f.name) for f in fields(SerialState) if f.name != "ids"}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(("subscription", "perpetual", "boxed")), st.lists(st.integers(0, 500), min_size=1, max_size=6))
def test_a_clock_that_only_moves_gives_what_the_full_publish_gives(kind: str, steps: list[int]) -> None:
    state = _state(kind)
    for days in steps:
        expected = _published(state, days)
        outcome = advance(state, _later(state, days), CATALOG, POLICY)
        assert _every_field(outcome.state) == _every_field(expected.state)
        assert outcome.state is not None
        assert expected.state is not None
        assert outcome.state.snapshot == expected.state.snapshot
        assert outcome._replace(state=None) == expected._replace(state=None)
        state = outcome.state


def test_reminders_go_out_once_on_the_short_path(monkeypatch: pytest.MonkeyPatch) -> None:
    state = _state("subscription")
    published: list[object] = []
    monkeypatch.setattr(publishing, "publish", lambda *args, **kwargs: published.append(args))
    first = advance(state, at("2026-02-01"), CATALOG, POLICY)  # the 30-day reminder of a 2026-03-01 expiry
    assert [n["lead_days"] for n in first.notices] == [30]
    assert first.state is not None
    assert first.state.revision == state.revision
    again = advance(first.state, at("2026-02-01"), CATALOG, POLICY)
    assert again.notices == ()
    assert published == []  # the short path, both times


def test_publish_names_every_field_of_the_state() -> None:
    """`publish` makes the new state afresh: a field it does not name would silently fall back to its default."""
    tree = ast.parse(inspect.getsource(publishing.publish))
    made = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "SerialState"
    ]
    assert len(made) == 1
    assert {keyword.arg for keyword in made[0].keywords} == {f.name for f in fields(SerialState)}
