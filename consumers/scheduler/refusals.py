"""Ticks the contract refuses, and rows the rules cannot compute with: left out of the sweep with one log line each,
so one stored row cannot stop it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from lifecycle import metrics
from schemas import InvalidMessage, validate

log = logging.getLogger(__name__)

COMPONENT = "scheduler"
# Of a serial or a reason in the log, this many characters are shown.
SHOWN_CHARS = 80
# A refused overdue tick is due again every sweep until its row is fixed: it is logged and counted the first time
# only (the sweep's summary line counts it every time). The ids remembered are bounded, the oldest forgotten first.
REMEMBERED_REFUSALS = 10_000
_refused_before: dict[str, None] = {}


def shown(value: Any) -> str:
    """A value for a log line: control characters escaped (ascii), a long one cut with its length."""
    text = str(value)
    cut = text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}... ({len(text)} characters)"
    return ascii(cut)


def valid_ticks(ticks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ticks the tick contract accepts; each refused one is logged and counted, never published."""
    accepted = []
    for tick in ticks:
        try:
            accepted.append(validate("tick", tick))
        except InvalidMessage as exc:
            if not _first_refusal(str(tick.get("event_id"))):
                continue
            metrics.EVENTS.labels(COMPONENT, "rejected").inc()
            log.warning(
                "%s tick for serial %s left out, the tick contract refuses it (%s): fix the stored row",
                tick.get("kind"),
                shown(tick.get("serial")),
                shown(exc),
            )
    return accepted


def refused_row(serial: str, problem: Exception) -> None:
    """Log and count (the first time) a stored row whose ticks cannot be computed, left out of the sweep."""
    if not _first_refusal(f"row:{serial}"):
        return
    metrics.EVENTS.labels(COMPONENT, "rejected").inc()
    log.warning(
        "row of serial %s left out, its ticks cannot be computed (%s: %s): fix the stored row",
        shown(serial),
        type(problem).__name__,
        shown(problem),
    )


def _first_refusal(event_id: str) -> bool:
    """Whether this tick is refused for the first time in this process (and remember it)."""
    if event_id in _refused_before:
        return False
    if len(_refused_before) >= REMEMBERED_REFUSALS:
        del _refused_before[next(iter(_refused_before))]
    _refused_before[event_id] = None
    return True
