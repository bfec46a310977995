"""Redrive from the dashboard: only with the operator token (off unless set), only once confirmed, always audited."""

from __future__ import annotations

import hmac
import logging
from collections import Counter
from typing import Any

from aiohttp import web

from lifecycle.dashboard.deadletters import DeadLetterReader
from lifecycle.dashboard.letter_detail import fetch
from lifecycle.dashboard.queue import Filters
from lifecycle.redrive import REDRIVEN_BEFORE, choose, send_back
from lifecycle.redrive_letters import parse_letter
from lifecycle.redriven import Redriven
from lifecycle.settings import Settings

HEADER = "X-Operator-Token"
LEFT_OUT = "redriven before (again: true sends it again)"
MAX_LETTERS = 5_000  # one redrive sends at most this many
log = logging.getLogger("lifecycle.audit")


def refusal(settings: Settings, request: web.Request) -> str | None:
    """Why this request may not redrive (None: it may)."""
    expected = settings.dashboard_operator_token.get_secret_value()
    if not expected:
        return "redrive is off: start the dashboard with LIFECYCLE_DASHBOARD_OPERATOR_TOKEN set to allow it"
    given = request.headers.get(HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        return f"redrive needs the operator token: send it in the {HEADER} header"
    return None


def positions(reader: DeadLetterReader, body: dict[str, Any]) -> list[tuple[int, int]]:
    """The letters a request names: `ids` ("partition-offset"), else those passing `filters`; ValueError: neither."""
    ids = body.get("ids")
    if isinstance(ids, list) and ids:
        chosen = []
        for ident in ids:
            partition, _, offset = str(ident).partition("-")
            if not (partition.isdigit() and offset.isdigit()):
                raise ValueError(f"{ident!r} is not a letter id (partition-offset)")
            chosen.append((int(partition), int(offset)))
        return list(dict.fromkeys(chosen))  # a letter named twice is one letter
    filters = Filters.from_query(body.get("filters") or {})
    if filters == Filters():
        raise ValueError(
            "name the letters: ids, or at least one filter (reason, group, topic, component, serial, time)"
        )
    return [(item["partition"], item["offset"]) for item in reader.letters() if filters.matches(item)]


def redrive(
    settings: Settings, reader: DeadLetterReader, wanted: list[tuple[int, int]], actor: str, redriven: Redriven
) -> dict[str, Any]:
    """Send the originals of these letters back (each once; previews never; none `redriven` names, nor another
    letter of an original it names), audit it, and say what happened."""
    records = fetch(settings, wanted)
    letters = [parse_letter(r.key, r.value, p, o) for (p, o), r in sorted(records.items())]
    choice = choose(letters, settings.topic_prefix, redriven=redriven)
    entries = send_back(settings, choice.chosen, actor) if choice.chosen else []
    reader.reload_audit()
    skipped = Counter(choice.skipped)
    if REDRIVEN_BEFORE in skipped:  # the dashboard's own words for what `again` changes
        skipped[LEFT_OUT] += skipped.pop(REDRIVEN_BEFORE)
    if len(records) < len(wanted):
        skipped["no longer in the dead-letter topic"] += len(wanted) - len(records)
    return {
        "sent": len(entries),
        "skipped": dict(skipped),
        "not_sent_original_not_kept_whole": [letter.describe() for letter in choice.not_kept],
        "audit": entries,
    }


def refused(request: web.Request, reason: str) -> web.Response:
    """403 with the reason, and an audit line saying who was refused."""
    log.warning("audit %s", {"event": "deadletter_redrive_refused", "remote": request.remote, "reason": reason})
    return web.json_response({"error": reason}, status=403)
