"""The entitlement rules: pure functions of (state, event, clock), with no I/O and no wall clock.

The Faust processor, the scheduler, `lifecycle replay` and the tests all call these.
"""

from lifecycle.rules.catalog import catalog_from_releases, release_from_event
from lifecycle.rules.due import Due, due_ticks, falls_due, tick_event, tick_id
from lifecycle.rules.engine import advance, apply_event, event_time
from lifecycle.rules.model import Catalog, Event, Notice, Outcome, Policy, Release, SerialState, Snapshot
from lifecycle.rules.persist import state_from_dict, state_to_dict

__all__ = [
    "Catalog",
    "Due",
    "Event",
    "Notice",
    "Outcome",
    "Policy",
    "Release",
    "SerialState",
    "Snapshot",
    "advance",
    "apply_event",
    "catalog_from_releases",
    "due_ticks",
    "event_time",
    "falls_due",
    "release_from_event",
    "state_from_dict",
    "state_to_dict",
    "tick_event",
    "tick_id",
]
