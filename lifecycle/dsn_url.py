"""A postgresql:// URL whose user name or password holds a character that ends that part early.

libpq reads a URL's user-info up to the first `@` or `/`, yoyo (urllib) up to the first `/`, `?` or `#`. An
unencoded `/` in a password (base64 has them) makes libpq read the words before it as host and port, and echo
the piece of the password it took for a port (`invalid integer value "…" for connection option "port"`).
"""

from __future__ import annotations

import re

SCHEMES = ("postgresql://", "postgres://")
# The characters that end a URL's user-info early, and how each is written percent-encoded.
ENCODED = {"/": "%2F", "?": "%3F", "#": "%23"}
# A query parameter (`?user=a@b`) before the first `@`: then that `@` is in the query, not after the user-info.
_QUERY_FIRST = re.compile(r"[^?#]*\?[A-Za-z_]+=")
# Where a password written unencoded may be cut into pieces, each of which libpq may echo.
PIECE_ENDS = re.compile(r"[/?#@]")


def cut_userinfo(dsn: str) -> bool:
    """Whether `dsn` is a postgresql:// URL whose user-info holds an unencoded `/`, `?` or `#`."""
    scheme = next((prefix for prefix in SCHEMES if dsn.startswith(prefix)), None)
    if scheme is None:
        return False
    userinfo, at, _ = dsn[len(scheme) :].partition("@")
    if not at or _QUERY_FIRST.match(userinfo):
        return False
    return any(character in userinfo for character in ENCODED)


def refusal() -> str:
    """What is wrong with such a URL and what to do, without a word of the password."""
    encoded = ", ".join(f"{character} as {code}" for character, code in ENCODED.items())
    return (
        "has an unencoded '/', '?' or '#' in its user name or password, which ends that part of the URL early: "
        f"percent-encode them ({encoded})"
    )
