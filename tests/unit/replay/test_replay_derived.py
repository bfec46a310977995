"""`lifecycle replay` sends on what time passing derives (an upgrade's grant), as the worker's ticks do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lifecycle.replay import pipeline
from lifecycle.rules import Outcome, Policy, SerialState, engine
from lifecycle.rules.model import Catalog
from lifecycle.samples import events as ev

PURCHASE = ev.purchase("p", datetime(2024, 1, 7, tzinfo=UTC), "S", "a", "backup-advanced", "2025")
UPGRADE = ev.upgrade("u", datetime(2024, 3, 1, tzinfo=UTC), "S", "a", "T", "backup-advanced", "12.5")


def _grant() -> dict[str, Any]:
    """The grant the rules derive for UPGRADE, as the new serial keeps it."""
    replay = pipeline.Replay(Policy())
    for event in (PURCHASE, UPGRADE):
        replay.feed(dict(event))
    (grant,) = (event for event in replay.states["T"].window if event["type"] == "upgrade_grant")
    return dict(grant)


def test_a_grant_derived_while_time_passes_reaches_its_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    grant = _grant()

    def advance(state: SerialState, clock: datetime, catalog: Catalog, policy: Policy) -> Outcome:
        outcome = engine.advance(state, clock, catalog, policy)
        # No release or hold of today's rules makes time passing derive a grant: the shell must still send it on.
        return outcome._replace(derived=(grant,)) if state.serial == "S" and outcome.state else outcome

    monkeypatch.setattr(pipeline, "advance", advance)
    replay = pipeline.Replay(Policy())
    replay.feed(dict(PURCHASE))
    assert "T" not in replay.states
    replay.advance_to(datetime(2025, 1, 1, tzinfo=UTC))
    snapshot = replay.states["T"].snapshot
    assert snapshot is not None
    assert (snapshot["upgraded_from"], snapshot["status"]) == ("S", "active")
