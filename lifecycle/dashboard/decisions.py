"""The newest support case decisions (R16), read from `<prefix>.case-decisions`: what the CRM was told."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from lifecycle.dashboard.tail import TopicTail
from lifecycle.settings import Settings
from lifecycle.topics import CASE_DECISIONS

SHOWN = ("case_number", "serial", "decided_at", "eligible", "basis", "channels", "ppi_credit_used", "reason", "options")


def summarize(partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
    """One decision as the dashboard shows it; a record not in the decision's shape shows as not eligible."""
    try:
        decision = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        decision = None
    if not isinstance(decision, dict):
        decision = {"eligible": False, "basis": "(not a decision)"}
    return {"partition": partition, "offset": offset, **{name: decision.get(name) for name in SHOWN}}


class CaseDecisionReader(TopicTail):
    """Keeps the newest case decisions."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, CASE_DECISIONS, summarize)

    def view(self, limit: int = 20) -> dict[str, Any]:
        """Counts by basis (eligible or not) over the newest kept, and the newest `limit`, newest first."""
        newest = sorted(self.records, key=lambda item: str(item["decided_at"] or ""), reverse=True)
        counts = Counter((bool(item["eligible"]), str(item["basis"])) for item in newest)
        by_basis = [
            {"eligible": eligible, "basis": basis, "count": count} for (eligible, basis), count in counts.items()
        ]
        return {
            "total": len(newest),
            "by_basis": sorted(by_basis, key=lambda row: (not row["eligible"], -row["count"], row["basis"])),
            "items": newest[:limit],
        }
