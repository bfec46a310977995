"""Every request needs the dashboard token: `Authorization: Bearer <token>` or the login form's HttpOnly cookie."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

COOKIE = "lifecycle_dashboard"
PUBLIC_PATHS = ("/login", "/healthz")
PUBLIC_PREFIXES = ("/static/",)
TOKEN_KEY = web.AppKey("token", str)
LOGIN_PAGE = (Path(__file__).parent / "static" / "login.html").read_text()
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cookie_value(token: str) -> str:
    """What the cookie holds: a digest of the token, so the token itself never sits in the browser."""
    return hmac.new(token.encode(), b"lifecycle-dashboard-session", hashlib.sha256).hexdigest()


def authenticated(request: web.Request) -> bool:
    """True when the request carries the right bearer token or session cookie."""
    token = request.app[TOKEN_KEY]
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())
    cookie = request.cookies.get(COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), cookie_value(token).encode())


def login_page(message: str = "", status: int = 401) -> web.Response:
    """The login form (static text; the message is one of ours, never user input)."""
    return web.Response(status=status, text=LOGIN_PAGE.replace("{{message}}", message), content_type="text/html")


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Let public paths through; answer 401 to everything else without the token."""
    if request.path in PUBLIC_PATHS or request.path.startswith(PUBLIC_PREFIXES) or authenticated(request):
        response = await handler(request)
    elif request.path.startswith("/api/"):
        response = web.json_response(
            {"error": "unauthorized: send Authorization: Bearer <token>"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="lifecycle"'},
        )
    else:
        response = login_page()
    response.headers.update(SECURITY_HEADERS)
    return response


async def show_login(request: web.Request) -> web.Response:
    """GET /login: the form."""
    return login_page(status=200)


async def submit_login(request: web.Request) -> web.StreamResponse:
    """POST /login: a right token sets the session cookie and goes to the page."""
    form = await request.post()
    given = str(form.get("token", "")).strip()
    token = request.app[TOKEN_KEY]
    if not hmac.compare_digest(given.encode(), token.encode()):
        return login_page("Wrong token.")
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(COOKIE, cookie_value(token), httponly=True, samesite="Strict", path="/")
    return response
