"""Notices shaped as the processor publishes them, for the notifier's integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from examples import example

T = TypeVar("T")

# The notifier's clock in these tests: the day business_notice's notices are due, so they stay fresh (R17).
DUE_AT = datetime(2027, 2, 13, 9, 0, tzinfo=UTC)


def business_notice(kind: str, serial: str = "SN-B-1", key: str = "2027-03-15", **data: Any) -> dict[str, Any]:
    """The contract's example notice as `kind`, about an Advantage Premier entitlement that expires on 2027-03-15."""
    notice = example("notice")
    notice.update(notice_id=f"{kind}:{serial}:{key}", kind=kind, serial=serial, account_id="ACC-B-1")
    notice["due_on"] = "2027-02-13"
    notice["data"].update(
        product={
            "sku": "ABR-WS-115",
            "name": "Acronis Backup Advanced for Windows Server",
            "line": "business",
            "family": "backup",
            "version": "11.5",
        },
        starts_on="2026-03-15",
        expires_on="2027-03-15",
        recipient={"email": "it-admin@example.com", "name": "Robin Admin"},
    )
    notice["data"].update(data)
    if "lead_days" in data:
        notice["lead_days"] = data["lead_days"]
    return notice


def wait_until(condition: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.1)
    return result


def moving_clock(start: datetime = DUE_AT) -> Callable[[], datetime]:
    """A notifier clock that starts at `start` and runs in real time, so a parked notice's retry time comes."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)
