"""The reorder window (R14): which of a serial's events stay kept for refolding, and which are folded in for good.

A serial keeps the events of its last `Policy.reorder_window_days` days (counted back from its newest event,
so the live processor and `lifecycle replay` keep the same ones), at most `Policy.kept_events` of them. Older
events are folded into the state's base once; an event that arrives later still but falls before them cannot
take its place any more, and is refused with `too_old`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from typing import NamedTuple

from lifecycle.rules.calendar import iso_instant
from lifecycle.rules.fold import Fold
from lifecycle.rules.folding import event_order, event_time, fold_in
from lifecycle.rules.model import Catalog, Event, OrderKey, Policy
from lifecycle.rules.sent import keep_sent


class Kept(NamedTuple):
    """A serial's events split in two: those folded in for good (`base`, up to `through`) and the `window`."""

    base: Fold | None
    through: OrderKey | None
    folded_ids: tuple[str, ...]
    window: tuple[Event, ...]
    emitted: Mapping[str, int]


def settle(serial: str, kept: Kept, catalog: Catalog, policy: Policy, held: frozenset[str] = frozenset()) -> Kept:
    """Fold the events that left the window into the base; let go of sent ids no refold can make again."""
    window = kept.window
    if not window:
        return kept
    horizon = event_time(window[-1]) - _days(policy.reorder_window_days)
    cut, most = 0, len(window) - policy.kept_events
    if most <= 0 and event_time(window[0]) >= horizon:
        return kept  # the usual case: every event still within the window
    # A held event waits for a purchase that may be older than anything kept (R14a): it and what follows it stay
    # in the window until its hold ends, so the purchase, when it comes, still folds in its place.
    limit = len(window) - 1
    if held:
        limit = next((i for i, event in enumerate(window) if event["event_id"] in held), limit)
    while cut < limit and (cut < most or event_time(window[cut]) < horizon):
        cut += 1
    if cut == 0:
        return kept
    gone = window[:cut]
    base = fold_in(kept.base or Fold(serial), gone, catalog, policy)
    folded_ids = (*kept.folded_ids, *(str(event["event_id"]) for event in gone))[-policy.kept_events :]
    # A refold starts from the base: it makes again only what falls after the base's clock, and an id is
    # stamped with the day it was sent (never before what made it), so older stamps are never needed again.
    assert base.clock is not None
    since = base.clock.toordinal()
    emitted = keep_sent({key: day for key, day in kept.emitted.items() if day >= since})
    return Kept(base, event_order(gone[-1]), folded_ids, window[cut:], emitted)


@cache
def _days(days: int) -> timedelta:
    return timedelta(days=days)


def too_old(serial: str, event: Event, through: OrderKey, policy: Policy) -> str:
    """Why an event that falls before the serial's kept events is refused."""
    return (
        f"occurred_at: {event['occurred_at']} is older than serial {serial}'s reorder window (its events up to "
        f"{iso_instant(through[0])} are folded in for good: {policy.reorder_window_days} days before its newest "
        f"event, at most {policy.kept_events} events); for a backfill raise LIFECYCLE_REORDER_WINDOW_DAYS"
    )
