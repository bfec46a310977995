"""Every request needs the dashboard token: `Authorization: Bearer <token>` or the session cookie of the login form.

Wrong tokens are bounded per client (login_limit); the cookie is a signed, expiring session (sessions), HttpOnly,
SameSite=Strict, and Secure when the dashboard is reached over https; POST /logout ends it.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from lifecycle.dashboard.login_limit import LoginLimiter
from lifecycle.dashboard.security import HTTPS_KEY
from lifecycle.dashboard.sessions import Sessions

COOKIE = "lifecycle_dashboard"
PUBLIC_PATHS = ("/login", "/logout", "/healthz")
PUBLIC_PREFIXES = ("/static/",)
TOKEN_KEY = web.AppKey("token", str)
LIMITER_KEY = web.AppKey("login_limiter", LoginLimiter)
# The operator token has its own count: a right login token must not wipe out wrong operator tokens.
OPERATOR_LIMITER_KEY = web.AppKey("operator_limiter", LoginLimiter)
SESSIONS_KEY = web.AppKey("sessions", Sessions)
LOGIN_PAGE = (Path(__file__).parent / "static" / "login.html").read_text()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install(app: web.Application, token: str, session_hours: float) -> None:
    """The token, the limiter and the sessions of the app, and its login and logout routes."""
    app[TOKEN_KEY] = token
    app[LIMITER_KEY] = LoginLimiter()
    app[OPERATOR_LIMITER_KEY] = LoginLimiter()
    app[SESSIONS_KEY] = Sessions(session_hours * 3600)
    app.router.add_get("/login", show_login)
    app.router.add_post("/login", submit_login)
    app.router.add_post("/logout", logout)


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


def _right_token(request: web.Request, given: str) -> bool:
    return hmac.compare_digest(given.encode(), request.app[TOKEN_KEY].encode())


def _too_many(request: web.Request, wait: float, page: bool) -> web.Response:
    headers = {"Retry-After": str(max(1, round(wait)))}
    message = f"too many wrong tokens from this address: try again in {max(1, round(wait))} s"
    if page:
        return login_page(message[0].upper() + message[1:] + ".", status=429, headers=headers)
    return web.json_response({"error": message}, status=429, headers=headers)


def _bearer(request: web.Request) -> web.Response | None:
    """None when the bearer token is right; else the answer (401, or 429 while the client is locked out)."""
    limiter, client, now = request.app[LIMITER_KEY], _client(request), time.time()
    wait = limiter.retry_after(client, now)
    if wait > 0:
        return _too_many(request, wait, page=False)
    given = request.headers["Authorization"].removeprefix("Bearer ").strip()
    if _right_token(request, given):
        limiter.succeeded(client)
        return None
    limiter.failed(client, now)
    return _unauthorized()


def checked_operator_guess(request: web.Request, right: bool) -> web.Response | None:
    """Bound guesses of the operator token: 429 while the client is locked out, else record the try (None)."""
    limiter, client, now = request.app[OPERATOR_LIMITER_KEY], _client(request), time.time()
    wait = limiter.retry_after(client, now)
    if wait > 0:
        return _too_many(request, wait, page=False)
    if right:
        limiter.succeeded(client)
    else:
        limiter.failed(client, now)
    return None


def _unauthorized() -> web.Response:
    return web.json_response(
        {"error": "unauthorized: send Authorization: Bearer <token>"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="lifecycle"'},
    )


def login_page(message: str = "", status: int = 401, headers: dict[str, str] | None = None) -> web.Response:
    """The login form (static text; the message is one of ours, never user input)."""
    text = LOGIN_PAGE.replace("{{message}}", message)
    return web.Response(status=status, text=text, content_type="text/html", headers=headers)


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let public paths and valid sessions through; check bearer tokens (bounded); refuse everything else."""
    if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)
    if request.headers.get("Authorization", "").startswith("Bearer "):
        refusal = _bearer(request)
        return refusal if refusal is not None else await handler(request)
    if request.app[SESSIONS_KEY].valid(request.cookies.get(COOKIE, ""), time.time()):
        return await handler(request)
    return _unauthorized() if request.path.startswith("/api/") else login_page()


async def show_login(request: web.Request) -> web.Response:
    """GET /login: the form."""
    return login_page(status=200)


async def submit_login(request: web.Request) -> web.StreamResponse:
    """POST /login: a right token sets the session cookie and goes to the page; wrong ones are bounded."""
    limiter, client, now = request.app[LIMITER_KEY], _client(request), time.time()
    wait = limiter.retry_after(client, now)
    if wait > 0:
        return _too_many(request, wait, page=True)
    form = await request.post()
    if not _right_token(request, str(form.get("token", "")).strip()):
        limiter.failed(client, now)
        return login_page("Wrong token.")
    limiter.succeeded(client)
    sessions = request.app[SESSIONS_KEY]
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(
        COOKIE,
        sessions.issue(now),
        max_age=int(sessions.lifetime_s),
        httponly=True,
        samesite="Strict",
        secure=request.app.get(HTTPS_KEY, False) or request.secure,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: end the session here and in the browser, then show the login form."""
    request.app[SESSIONS_KEY].revoke(request.cookies.get(COOKIE, ""), time.time())
    response = web.Response(status=303, headers={"Location": "/login"})
    response.del_cookie(COOKIE, path="/")
    return response
