"""The dashboard's web application: one HTML page, static assets and read-only JSON endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from lifecycle.dashboard import auth, console, security
from lifecycle.dashboard.sampler import Sampler
from lifecycle.settings import Settings

STATIC = Path(__file__).parent / "static"
SAMPLER_KEY = web.AppKey("sampler", Sampler)


def _sampler(request: web.Request) -> Sampler:
    return request.app[SAMPLER_KEY]


def overview(sampler: Sampler) -> dict[str, Any]:
    """Everything the page shows except the dead letters."""
    snapshot = sampler.snapshot
    return {
        "prefix": sampler.settings.topic_prefix,
        "sampled_at": snapshot.sampled_at,
        "topics": snapshot.kafka.get("topics", []),
        "groups": snapshot.kafka.get("groups", []),
        "health": snapshot.health,
        "rerouted": snapshot.rerouted,
        "case_decisions": snapshot.case_decisions,
        "figures": snapshot.figures,
        "errors": snapshot.errors,
    }


async def page(request: web.Request) -> web.FileResponse:
    """GET /: the dashboard page."""
    return web.FileResponse(STATIC / "index.html")


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: liveness for probes; reveals nothing."""
    return web.Response(text="ok")


async def api_overview(request: web.Request) -> web.Response:
    """GET /api/overview."""
    return web.json_response(overview(_sampler(request)))


def _part(name: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        view = overview(_sampler(request))
        return web.json_response({"sampled_at": view["sampled_at"], name: view[name]})

    handler.__doc__ = f"GET /api/{name}."
    return handler


def make_app(settings: Settings, token: str, interval: float = 3.0) -> web.Application:
    """The application; its sampler runs while the app does."""
    app = web.Application(middlewares=[auth.require_token])
    security.install(app, https=settings.dashboard_https)
    auth.install(app, token, settings.dashboard_session_hours)  # also the /login and /logout routes
    app[SAMPLER_KEY] = Sampler(settings, interval)

    async def sampling(app: web.Application) -> AsyncIterator[None]:
        sampler = app[SAMPLER_KEY]
        task = asyncio.create_task(sampler.run())
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.to_thread(sampler.close)

    app.cleanup_ctx.append(sampling)
    app.router.add_get("/", page)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/overview", api_overview)
    for name in ("topics", "groups", "health", "figures"):
        app.router.add_get(f"/api/{name}", _part(name))
    console.add_routes(app, app[SAMPLER_KEY])  # serial view, dead-letter queue, redrive
    app.router.add_static("/static/", STATIC)
    return app
