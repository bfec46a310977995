"""Security headers on every answer of the dashboard: pages, JSON, static files, 401, 404, 405 and 500."""

from __future__ import annotations

from aiohttp import web

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000"
HTTPS_KEY = web.AppKey("https", bool)


async def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Set the headers as the answer is about to be sent."""
    response.headers.update(SECURITY_HEADERS)
    if request.app.get(HTTPS_KEY) or request.secure:
        response.headers["Strict-Transport-Security"] = HSTS


def install(app: web.Application, https: bool) -> None:
    """Hook the headers onto the app; `https`: operators reach it over https (a TLS proxy in front)."""
    # A response-prepare signal rather than a middleware: the router's 404 and 405 are raised past the
    # middlewares and the server makes its 500 outside them, but every answer is prepared.
    app[HTTPS_KEY] = https
    app.on_response_prepare.append(add_headers)
