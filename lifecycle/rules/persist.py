"""A serial's state as a JSON-safe document, for the processor's table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lifecycle.rules.calendar import iso_instant
from lifecycle.rules.model import Hold, SerialState
from schemas import parse_instant


def state_to_dict(state: SerialState) -> dict[str, Any]:
    """The state without its in-memory fold (recomputed on load)."""
    return {
        "serial": state.serial,
        "history": [dict(event) for event in state.history],
        "clock": iso_instant(state.clock) if state.clock else None,
        "revision": state.revision,
        "snapshot": state.snapshot,
        "emitted": sorted(state.emitted),
        "holds": [hold.document() for hold in state.holds],
    }


def state_from_dict(document: dict[str, Any]) -> SerialState:
    """Rebuild a state written by `state_to_dict`."""
    clock: datetime | None = parse_instant(document["clock"], "clock") if document.get("clock") else None
    return SerialState(
        serial=document["serial"],
        history=tuple(document["history"]),
        clock=clock,
        revision=int(document["revision"]),
        snapshot=document.get("snapshot"),
        emitted=frozenset(document.get("emitted", ())),
        holds=tuple(
            Hold(item["event_id"], item["type"], item["occurred_at"], parse_instant(item["since"], "since"))
            for item in document.get("holds", ())
        ),
    )
