"""Dead letters as a work queue: filter, group by reason, page; mark redriven letters and link those that failed again.

Pure functions over the letter summaries of `deadletters.summarize` and the redrive audit lines.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lifecycle import redriven as audited

PER_PAGE = 20
MAX_PER_PAGE = 200
FILTER_FIELDS = ("reason", "group", "topic", "component", "serial", "since", "until")
_NUMBERS = re.compile(r"\d+(?:[.:-]\d+)*")


def reason_group(reason: str, serial: str | None) -> str:
    """The reason with its serial and numbers blanked, so one cause is one group ("no purchase for serial <serial>")."""
    if serial:
        reason = reason.replace(serial, "<serial>")
    return _NUMBERS.sub("#", reason)


def letter_id(partition: int, offset: int) -> str:
    """A letter's id on the page: its position in the dead-letter topic."""
    return f"{partition}-{offset}"


@dataclass(frozen=True)
class Filters:
    """What the operator narrows the queue to; every field empty means every letter."""

    reason: str = ""  # text the reason contains (any case)
    group: str = ""  # the reason's group, exactly (see reason_group)
    topic: str = ""  # origin topic, full name or without the prefix
    component: str = ""
    serial: str = ""
    since: str = ""  # failed at or after (RFC 3339 or a prefix of it: 2026-03-01, 2026-03-01T10:00)
    until: str = ""  # failed at or before, the same way (a day includes the whole day)

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> Filters:
        """The filters of a query string or a JSON body (unknown fields ignored)."""
        return cls(**{name: str(query.get(name) or "").strip() for name in FILTER_FIELDS})

    def without_reason(self) -> Filters:
        """The same filters but the reason and its group (for the counts by reason)."""
        return dataclasses.replace(self, reason="", group="")

    def matches(self, item: Mapping[str, Any]) -> bool:
        """Whether a letter passes every filter given."""
        origin = str((item.get("origin") or {}).get("topic") or "")
        failed_at = str(item.get("failed_at") or "")
        return (
            self.reason.lower() in str(item.get("reason", "")).lower()
            and (not self.group or self.group == item.get("group"))
            and (not self.topic or self.topic in (origin, origin.partition(".")[2]))
            and (not self.component or self.component == item.get("component"))
            and (not self.serial or self.serial in (item.get("serial"), item.get("key")))
            and (not self.since or failed_at >= self.since)
            and (not self.until or failed_at[: len(self.until)] <= self.until)
        )


def annotate(
    letters: Iterable[Mapping[str, Any]], audit: Iterable[Mapping[str, Any]], deadletter_topic: str
) -> list[dict[str, Any]]:
    """Each letter with its `id`, `redriven` (when and by whom it was sent back) and `redrive_of` (the earlier
    letter whose original, sent back, failed again as this one).

    An audit line marks a letter by its whole identity (topic, position, `failed_at`), so after the dead-letter
    topic is recreated a new letter at an old position is not marked; a letter links to a send only when it
    failed after that send.
    """
    redriven: dict[tuple[int, int], list[tuple[str | None, dict[str, Any]]]] = {}
    sent_from: dict[tuple[str, int, int], list[tuple[datetime | None, str]]] = {}
    for line in audit:
        named = audited.letter_named(line, deadletter_topic)
        target = line.get("sent_to")
        if named is None or not isinstance(target, dict):
            continue
        partition, offset, failed_at = named
        mark = {"at": line.get("at"), "actor": line.get("actor"), "sent_to": target}
        redriven.setdefault((partition, offset), []).append((failed_at, mark))
        where = (target.get("topic"), target.get("partition"), target.get("offset"))
        if isinstance(where[0], str) and isinstance(where[1], int) and isinstance(where[2], int):
            sends = sent_from.setdefault((where[0], where[1], where[2]), [])
            sends.append((audited.instant(line.get("at")), letter_id(partition, offset)))
    shown = []
    for letter in letters:
        position = (int(letter["partition"]), int(letter["offset"]))
        failed_at = str(letter.get("failed_at") or "")
        marks = [mark for at, mark in redriven.get(position, []) if at is None or at == failed_at]
        origin = letter.get("origin") or {}
        link = _sent_from(sent_from, origin, audited.instant(failed_at))
        group = reason_group(str(letter.get("reason", "")), letter.get("serial"))
        shown.append({**letter, "id": letter_id(*position), "group": group, "redriven": marks, "redrive_of": link})
    return shown


def _sent_from(
    sends: Mapping[tuple[str, int, int], list[tuple[datetime | None, str]]],
    origin: Mapping[str, Any],
    failed: datetime | None,
) -> str | None:
    """The letter whose original was sent to this letter's origin position, latest first, before this one failed."""
    topic, partition, offset = origin.get("topic"), origin.get("partition"), origin.get("offset")
    if not (isinstance(topic, str) and isinstance(partition, int) and isinstance(offset, int)):
        return None
    for at, earlier in reversed(sends.get((topic, partition, offset), [])):
        if at is None or failed is None or at <= failed:
            return earlier
    return None


def reason_groups(letters: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Letters by reason group, most first: count, components, origin topics, and how many were redriven."""
    counts: Counter[str] = Counter()
    components: dict[str, set[str]] = {}
    topics: dict[str, set[str]] = {}
    redriven: Counter[str] = Counter()
    for letter in letters:
        reason = str(letter.get("group"))
        counts[reason] += 1
        components.setdefault(reason, set()).add(str(letter.get("component") or ""))
        topics.setdefault(reason, set()).add(str((letter.get("origin") or {}).get("topic") or ""))
        redriven[reason] += bool(letter.get("redriven"))
    return [
        {
            "group": reason,
            "count": count,
            "components": sorted(components[reason] - {""}),
            "topics": sorted(topics[reason] - {""}),
            "redriven": redriven[reason],
        }
        for reason, count in counts.most_common()
    ]


def queue_view(letters: list[dict[str, Any]], filters: Filters, page: int, per_page: int = PER_PAGE) -> dict[str, Any]:
    """One page of the letters that pass the filters (newest first as given), with the counts by reason."""
    per_page = max(1, min(MAX_PER_PAGE, per_page))
    narrowed = [letter for letter in letters if filters.without_reason().matches(letter)]
    matched = [letter for letter in narrowed if filters.matches(letter)]
    pages = max(1, -(-len(matched) // per_page))
    page = max(1, min(page, pages))
    groups = reason_groups(narrowed)
    return {
        "total": len(letters),
        "matched": len(matched),
        "reasons": [[group["group"], group["count"]] for group in reason_groups(letters)[:20]],
        "groups": groups,
        "filters": dataclasses.asdict(filters),
        "page": page,
        "pages": pages,
        "per_page": per_page,
        "items": matched[(page - 1) * per_page : page * per_page],
    }
