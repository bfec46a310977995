"""A postgresql:// URL whose user name or password holds a character that ends that part early, or splits it.

libpq reads a URL's user-info up to the first `@` or `/`, yoyo (urllib) up to the first `/`, `?` or `#`. An
unencoded `/` in a password (base64 has them) makes libpq read the words before it as host and port, and echo
the piece of the password it took for a port (`invalid integer value "…" for connection option "port"`).
"""

from __future__ import annotations

import re

SCHEMES = ("postgresql://", "postgres://")
# The characters that end a URL's user-info early, or split it, and how each is written percent-encoded.
ENCODED = {"/": "%2F", "?": "%3F", "#": "%23", "@": "%40"}
# A query parameter (`?user=a@b`) before the first `@`: then that `@` is in the query, not after the user-info.
_QUERY_FIRST = re.compile(r"[^?#]*\?[A-Za-z_]+=")
# Where a password written unencoded may be cut into pieces, each of which libpq may echo.
PIECE_ENDS = re.compile(r"[/?#@]")


def cut_userinfo(dsn: str) -> bool:
    """Whether `dsn` is a postgresql:// URL whose user-info holds an unencoded `/`, `?`, `#` or `@`."""
    scheme = next((prefix for prefix in SCHEMES if dsn.startswith(prefix)), None)
    if scheme is None:
        return False
    rest = dsn[len(scheme) :]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:  # a user-info: whole, unless a second `@` splits it
        return authority.count("@") > 1
    userinfo, at, _ = rest.partition("@")
    if not at or _QUERY_FIRST.match(userinfo):
        return False
    # A later `@`: after `user:pass` cut short, or in the path after `host:port` (`h:5432/team@prod`); the two read
    # alike (`u:2026/x@h`), so both are refused: encoded, either reads as meant. A host alone has no password to cut.
    return ":" in authority


def refusal() -> str:
    """What is wrong with such a URL and what to do, without a word of the password."""
    encoded = ", ".join(f"{character} as {code}" for character, code in ENCODED.items())
    return (
        "has an unencoded '/', '?', '#' or '@' in its user name or password, which ends or splits that part of the "
        f"URL (or an '@' in its database name, which reads alike): percent-encode them ({encoded})"
    )
