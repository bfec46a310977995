"""The operator console's routes: the serial view, and dead letters as a work queue with detail and redrive."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from aiohttp import web
from kafka.errors import KafkaError

from lifecycle import redrive_audit
from lifecycle import redriven as audited
from lifecycle.dashboard import auth, operator
from lifecycle.dashboard.deadletters import DeadLetterReader
from lifecycle.dashboard.letter_detail import detail, fetch
from lifecycle.dashboard.queue import PER_PAGE, Filters, queue_view
from lifecycle.dashboard.sampler import Sampler
from lifecycle.dashboard.serial_view import SerialReader
from lifecycle.errors import UserError
from lifecycle.redact import redact
from lifecycle.topics import DEADLETTER

STATIC = Path(__file__).parent / "static"
SAMPLER = web.AppKey("console_sampler", Sampler)
SERIALS = web.AppKey("console_serials", SerialReader)


def _number(request: web.Request, name: str, default: int) -> int:
    try:
        return int(request.query.get(name, str(default)))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} must be a whole number") from None


def _reader(request: web.Request) -> DeadLetterReader | None:
    return request.app[SAMPLER].deadletters


async def serial_page(request: web.Request) -> web.FileResponse:
    """GET /serial: the serial view."""
    return web.FileResponse(STATIC / "serial.html")


async def api_find(request: web.Request) -> web.Response:
    """GET /api/serials?q=serial|account|e-mail: the serials that match."""
    query = request.query.get("q", "").strip()
    if not query:
        raise web.HTTPBadRequest(text="q is missing: give a serial, an account id or an e-mail address")
    found = await asyncio.to_thread(request.app[SERIALS].find, query)
    return web.json_response({"query": query, "serials": found})


async def api_serial(request: web.Request) -> web.Response:
    """GET /api/serials/{serial}: entitlement in words, timeline, held events, notices, dead letters."""
    serial = request.match_info["serial"]
    found = await asyncio.to_thread(request.app[SERIALS].serial, serial)
    if found is None:
        return web.json_response({"error": f"no entitlement for serial {serial}"}, status=404)
    reader = _reader(request)
    letters = [item for item in reader.letters() if Filters(serial=serial).matches(item)] if reader else []
    return web.json_response({**found, "deadletters": letters[:100]})


async def api_deadletters(request: web.Request) -> web.Response:
    """GET /api/deadletters?reason&topic&component&serial&since&until&page&per_page (limit: per_page)."""
    per_page = _number(request, "per_page", _number(request, "limit", PER_PAGE))
    page = _number(request, "page", 1)
    reader = _reader(request)
    letters = reader.letters() if reader else []
    return web.json_response(queue_view(letters, Filters.from_query(request.query), page, per_page))


async def api_deadletter(request: web.Request) -> web.Response:
    """GET /api/deadletters/{partition}-{offset}: one letter, its original decoded and masked."""
    partition, offset = int(request.match_info["partition"]), int(request.match_info["offset"])
    sampler = request.app[SAMPLER]
    try:
        records = await asyncio.to_thread(fetch, sampler.settings, [(partition, offset)])
    except (KafkaError, UserError) as exc:
        return _kafka_failed("could not read the letter", exc)
    record = records.get((partition, offset))
    if record is None:
        return web.json_response({"error": f"no dead letter at partition {partition}, offset {offset}"}, status=404)
    # Off the event loop: masking a large original is work the other requests must not wait for.
    shown = await asyncio.to_thread(detail, partition, offset, record.value)
    reader = _reader(request)
    summary = next((i for i in reader.letters() if i["id"] == f"{partition}-{offset}"), {}) if reader else {}
    shown.update(redriven=summary.get("redriven", []), redrive_of=summary.get("redrive_of"))
    return web.json_response(shown)


async def api_redrive(request: web.Request) -> web.Response:
    """POST /api/deadletters/redrive {ids | filters, confirm, expected, again}: operator token; confirm=false
    previews; letters redriven before are left out unless `again` is true."""
    sampler = request.app[SAMPLER]
    reason = operator.refusal(sampler.settings, request)
    # Wrong operator tokens are bounded per client as wrong login tokens are (none counted while redrive is off).
    locked = auth.checked_operator_guess(request, reason is None) if sampler.settings.dashboard_operator_token else None
    if locked is not None:
        return locked
    if reason:
        return operator.refused(request, reason)
    try:
        body: Any = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body must be JSON: {ids | filters, confirm, expected}") from None
    reader = _reader(request)
    if not isinstance(body, dict) or reader is None:
        raise web.HTTPBadRequest(text="the body must be a JSON object, and the dead letters read once")
    if body.get("filters") is not None and not isinstance(body["filters"], dict):
        return web.json_response({"error": 'filters must be a JSON object, e.g. {"reason": "no purchase"}'}, status=400)
    try:
        wanted = operator.positions(reader, body)
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    try:
        audit = [] if body.get("again") is True else await asyncio.to_thread(redrive_audit.read, sampler.settings)
    except UserError as exc:
        return web.json_response({"error": str(exc)}, status=503)
    redriven = audited.redriven(audit, sampler.settings.topic(DEADLETTER.suffix))
    # Letters the audit names are left out here; other letters of an original it names are passed over on sending.
    shown = {(item["partition"], item["offset"]): item for item in reader.letters()}
    named = {position for position in wanted if position in shown and _named(redriven, shown[position])}
    left_out = len(named)
    wanted = [position for position in wanted if position not in named][: operator.MAX_LETTERS]
    if not body.get("confirm"):
        note = f"; {left_out} redriven before left out (again: true sends them too)" if left_out else ""
        preview: dict[str, Any] = {"count": len(wanted), "confirm": f"send {len(wanted)} letter(s) back?{note}"}
        return web.json_response({**preview, "redriven_before": left_out} if left_out else preview)
    if body.get("expected") != len(wanted):
        message = f"the selection is {len(wanted)} letter(s) now, not {body.get('expected')}: confirm again"
        return web.json_response({"error": message, "count": len(wanted)}, status=409)
    actor = f"dashboard operator from {request.remote}"
    try:
        result = await asyncio.to_thread(operator.redrive, sampler.settings, reader, wanted, actor, redriven)
    except (KafkaError, UserError) as exc:
        with contextlib.suppress(UserError):  # what went out before the failure is audited: mark it
            await asyncio.to_thread(reader.reload_audit)
        return _kafka_failed("the redrive failed", exc)
    if left_out:
        result["skipped"][operator.LEFT_OUT] = result["skipped"].get(operator.LEFT_OUT, 0) + left_out
    return web.json_response(result)


def _named(redriven: audited.Redriven, letter: dict[str, Any]) -> bool:
    """Whether the audit names this letter (as the dashboard summarizes it)."""
    origin = letter["origin"]
    partition, offset = (value if isinstance(value, int) else -1 for value in (origin["partition"], origin["offset"]))
    where = (str(origin["topic"]), partition, offset)
    return redriven.names_letter(letter["partition"], letter["offset"], letter["failed_at"], where)


def _kafka_failed(what: str, exc: Exception) -> web.Response:
    """502 naming what failed, with no secret in it."""
    return web.json_response({"error": redact(f"{what}: {exc}")}, status=502)


def add_routes(app: web.Application, sampler: Sampler) -> None:
    """Register the console's pages and endpoints on the dashboard application."""
    app[SAMPLER] = sampler
    app[SERIALS] = SerialReader(sampler.settings)
    app.router.add_get("/serial", serial_page)
    app.router.add_get("/api/serials", api_find)
    app.router.add_get("/api/serials/{serial}", api_serial)
    app.router.add_get("/api/deadletters", api_deadletters)
    app.router.add_get(r"/api/deadletters/{partition:\d+}-{offset:\d+}", api_deadletter)
    app.router.add_post("/api/deadletters/redrive", api_redrive)
