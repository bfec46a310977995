"""The dashboard's HTTP hardening, served in process: headers on every answer, bounded logins, cookie, logout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from lifecycle.dashboard import auth, security
from lifecycle.dashboard.app import STATIC
from lifecycle.dashboard.command import announce
from lifecycle.dashboard.login_limit import MAX_FAILURES
from lifecycle.settings import Settings

TOKEN = "unit-token-0123456789abcdef"
Scenario = Callable[[TestClient[web.Request, web.Application]], Awaitable[None]]


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("a bug")


async def _page(request: web.Request) -> web.Response:
    return web.Response(text="page")


async def _thing(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def _app(https: bool = False) -> web.Application:
    """The dashboard's security parts around two trivial routes and its static files."""
    app = web.Application(middlewares=[auth.require_token])
    security.install(app, https=https)
    auth.install(app, TOKEN, session_hours=12)
    app.router.add_get("/", _page)
    app.router.add_get("/api/thing", _thing)
    app.router.add_get("/boom", _boom)
    app.router.add_get("/healthz", _page)
    app.router.add_static("/static/", STATIC)
    return app


def _serve(scenario: Scenario, https: bool = False) -> None:
    async def main() -> None:
        async with TestClient(TestServer(_app(https))) as client:
            await scenario(client)

    asyncio.run(main())


BEARER = {"Authorization": f"Bearer {TOKEN}"}
ANSWERS = [
    ("GET", "/", BEARER, 200),
    ("GET", "/api/thing", BEARER, 200),
    ("GET", "/healthz", {}, 200),
    ("GET", "/static/style.css", {}, 200),
    ("GET", "/login", {}, 200),
    ("GET", "/", {}, 401),
    ("GET", "/api/thing", {}, 401),
    ("GET", "/no/such/page", BEARER, 404),
    ("GET", "/static/no-such-file.css", {}, 404),
    ("DELETE", "/api/thing", BEARER, 405),
    ("GET", "/logout", {}, 405),
    ("GET", "/boom", BEARER, 500),
]


@pytest.mark.parametrize(("method", "path", "headers", "status"), ANSWERS)
def test_every_answer_carries_the_security_headers(
    method: str, path: str, headers: dict[str, str], status: int
) -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        response = await client.request(method, path, headers=headers)
        assert response.status == status
        for name, value in security.SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, name
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers

    _serve(scenario)


def test_behind_https_answers_add_hsts_and_the_cookie_is_secure() -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        assert (await client.get("/no/such/page")).headers["Strict-Transport-Security"] == security.HSTS
        signed_in = await client.post("/login", data={"token": TOKEN}, allow_redirects=False)
        assert "Secure" in signed_in.headers["Set-Cookie"]

    _serve(scenario, https=True)


def test_the_session_cookie_is_http_only_strict_expiring_and_ends_at_logout() -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        signed_in = await client.post("/login", data={"token": TOKEN}, allow_redirects=False)
        assert signed_in.status == 303
        cookie = signed_in.headers["Set-Cookie"]
        for attribute in ("HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"):
            assert attribute in cookie
        assert "Secure" not in cookie  # plain http on loopback, not configured as behind https
        assert TOKEN not in cookie
        value = signed_in.cookies[auth.COOKIE].value
        assert (await client.get("/", cookies={auth.COOKIE: value})).status == 200

        out = await client.post("/logout", cookies={auth.COOKIE: value}, allow_redirects=False)
        assert out.status == 303
        assert out.headers["Location"] == "/login"
        assert "Max-Age=0" in out.headers["Set-Cookie"]
        # The old value is refused even if a browser (or a thief) keeps sending it.
        assert (await client.get("/", cookies={auth.COOKIE: value})).status == 401

    _serve(scenario)


def test_wrong_tokens_on_the_login_form_lock_the_client_out() -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        statuses = [(await client.post("/login", data={"token": f"guess-{i}"})).status for i in range(MAX_FAILURES)]
        assert statuses == [401] * MAX_FAILURES
        locked = await client.post("/login", data={"token": TOKEN}, allow_redirects=False)
        assert locked.status == 429  # even the right token, until the lockout ends
        assert int(locked.headers["Retry-After"]) == 60
        assert "Too many wrong tokens" in await locked.text()
        assert (await client.get("/api/thing", headers=BEARER)).status == 429

    _serve(scenario)


def test_wrong_bearer_tokens_count_too() -> None:
    async def scenario(client: TestClient[web.Request, web.Application]) -> None:
        wrong = {"Authorization": "Bearer nope"}
        statuses = [(await client.get("/api/thing", headers=wrong)).status for _ in range(MAX_FAILURES + 1)]
        assert statuses == [401] * MAX_FAILURES + [429]
        body = await (await client.get("/api/thing", headers=BEARER)).json()
        assert body["error"].startswith("too many wrong tokens from this address")

    _serve(scenario)


def test_a_configured_token_is_never_printed_a_generated_one_once() -> None:
    settings = Settings.from_env({"LIFECYCLE_DASHBOARD_TOKEN": TOKEN, "LIFECYCLE_DASHBOARD_PORT": "8123"})

    configured = announce(settings, generated="")
    generated = announce(settings, generated="gen-token-abcdefghijklmnop")

    assert TOKEN not in configured
    assert configured == "dashboard: http://127.0.0.1:8123/login (sign in with LIFECYCLE_DASHBOARD_TOKEN)"
    assert generated.endswith("/login#token=gen-token-abcdefghijklmnop")
