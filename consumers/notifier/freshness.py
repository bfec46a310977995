"""R17: whether a notice still means something on the day it would be delivered (pure: the day is given)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# Reasons, also the `reason` label of lifecycle_notices_skipped_total and the ledger's skip_reason.
EXPIRY_PASSED = "expiry_passed"
TOO_OLD = "too_old"
REASONS: tuple[str, ...] = (EXPIRY_PASSED, TOO_OLD)


@dataclass(frozen=True)
class Stale:
    """Why a notice is not sent: a reason code and a sentence for the ledger."""

    reason: str
    detail: str


def _day(value: object) -> date | None:
    """A YYYY-MM-DD string as a date; None for anything else (the renderer reports malformed dates)."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def staleness(notice: Mapping[str, Any], today: date, max_age_days: int) -> Stale | None:
    """Why `notice` is stale when delivered on `today` (UTC), or None when it may be sent.

    A reminder whose support has already ended is checked first: that is wrong whatever its age.
    """
    data = notice.get("data")
    if notice.get("kind") == "expiry_reminder" and isinstance(data, Mapping):
        expires_on = _day(data.get("expires_on"))
        # Support covers starts_on <= day < expires_on: on expires_on itself it has ended.
        if expires_on is not None and expires_on <= today:
            # Stale like any reminder whose support has ended, even one ending 0001-01-01 (no day before it to
            # name): it says nothing true today, and a redrive could not change that, so no dead letter.
            if expires_on == date.min:
                return Stale(EXPIRY_PASSED, f"support ended on {expires_on}; today is {today}")
            last_day = expires_on - timedelta(days=1)
            return Stale(EXPIRY_PASSED, f"the last day of support was {last_day.isoformat()}; today is {today}")
    due_on = _day(notice.get("due_on"))
    if due_on is not None and (today - due_on).days > max_age_days:
        late = (today - due_on).days
        return Stale(TOO_OLD, f"due on {due_on.isoformat()}, {late} days before {today} (at most {max_age_days})")
    return None
