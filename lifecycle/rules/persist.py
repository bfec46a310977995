"""A serial's state as a JSON-safe document, for the processor's table.

Format 2 carries the fold, the reorder window and what was folded in for good, and a snapshot only where the
fold does not imply it (null: the fold's entitlement's snapshot at the revision). A document without a
`format` (format 1: the serial's whole history) still loads: its history becomes the window, and the next
event folds in what lies beyond the window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lifecycle.rules.calendar import iso_instant
from lifecycle.rules.fold_codec import fold_from_dict, fold_to_dict
from lifecycle.rules.model import Hold, OrderKey, SerialState, known_ids
from lifecycle.rules.sent import keep_sent, sent_dict
from schemas import parse_instant
from schemas.codec import SCHEMA_VERSION

FORMAT = 2


def state_to_dict(state: SerialState) -> dict[str, Any]:
    """The state as a format 2 document."""
    through = state.through
    return {
        "format": FORMAT,
        "serial": state.serial,
        "window": state.window,
        "clock": iso_instant(state.clock) if state.clock else None,
        "revision": state.revision,
        # The fold's entitlement implies the snapshot (None here): a second copy would only be encoded and read back.
        "snapshot": state.published,
        "emitted": sent_dict(state.emitted),
        "holds": [hold.document() for hold in state.holds],
        "fold": fold_to_dict(state.fold) if state.fold is not None else None,
        "base": fold_to_dict(state.base) if state.base is not None else None,
        "through": [iso_instant(through[0]), through[1], through[2]] if through is not None else None,
        "folded_ids": state.folded_ids,
    }


def state_from_dict(document: dict[str, Any]) -> SerialState:
    """Rebuild a state written by `state_to_dict` (either format)."""
    serial = document["serial"]
    clock: datetime | None = parse_instant(document["clock"], "clock") if document.get("clock") else None
    holds = tuple(
        Hold(item["event_id"], item["type"], item["occurred_at"], parse_instant(item["since"], "since"))
        for item in document.get("holds", ())
    )
    written = document.get("format")
    if written not in (None, 1, FORMAT):
        # A value from a newer processor (after a rollback): refused, never misread as the whole history.
        raise ValueError(f"serial {serial}'s stored state is format {written!r}, newer than this processor ({FORMAT})")
    if written != FORMAT:
        # Format 1: the whole history, and the ids sent without their day: kept until the window passes the clock.
        day = clock.toordinal() if clock is not None else 0
        emitted = keep_sent(dict.fromkeys(document.get("emitted", ()), day))
        snapshot = document.get("snapshot")
        if snapshot is not None and "schema_version" not in snapshot:
            # Written before snapshots carried their version: the same snapshot, so no new revision for it alone.
            snapshot = {"schema_version": SCHEMA_VERSION, **snapshot}
        return SerialState(
            serial,
            tuple(document["history"]),
            clock,
            int(document["revision"]),
            snapshot,
            emitted,
            holds,
        )
    through = document["through"]
    window, folded_ids = tuple(document["window"]), tuple(document["folded_ids"])
    key: OrderKey | None = (parse_instant(through[0], "through"), through[1], through[2]) if through else None
    return SerialState(
        serial=serial,
        window=window,
        clock=clock,
        revision=int(document["revision"]),
        published=document["snapshot"],
        emitted=keep_sent(document["emitted"]),
        holds=holds,
        fold=fold_from_dict(serial, document["fold"]) if document["fold"] is not None else None,
        base=fold_from_dict(serial, document["base"]) if document["base"] is not None else None,
        through=key,
        folded_ids=folded_ids,
        ids=known_ids(window, folded_ids),
    )
