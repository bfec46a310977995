"""Keep secrets out of every output: one function that masks DSN and URL credentials, tokens and passwords.

Usage::

    from lifecycle.redact import configure_logging, redact
    configure_logging()                       # every log line of the process goes through redact()
    print(redact(str(exc)))                   # patterns, plus the secret settings' values from the environment

Two nets: patterns (a URL's `user:password@`, `password=…`, `token=…`, `Authorization: Bearer …`) catch
credentials in any text, and the values of the secret settings themselves (every `Settings` field typed
SecretStr; for a DSN setting, the password inside it, even in a malformed DSN that libpq echoes back) are replaced
wherever they appear.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from lifecycle.dsn_url import PIECE_ENDS, cut_userinfo
from lifecycle.settings import SETTINGS
from lifecycle.settings_files import with_secret_files

MASK = "***"
# Shorter values are too common to replace everywhere without garbling the text; the patterns still apply.
MIN_SECRET_LENGTH = 4

_URL_CREDENTIALS = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*:/{1,2}[^\s:/@'\"]*):(?P<secret>[^\s@'\"/]*)@")
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:[A-Za-z_]*password|passwd|pwd|[A-Za-z_]*token|[A-Za-z_]*secret|api_?key)\b[\"']?\s*[=:]\s*)"
    r"(?P<secret>'[^']*'|\"[^\"]*\"|[^\s&'\",;)\]}]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)(?P<secret>[A-Za-z0-9._~+/=-]{8,})")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/+")


# The secret settings: every Settings field typed SecretStr (DSNs, passwords, tokens).
SECRET_SETTINGS: tuple[str, ...] = tuple(setting.env for setting in SETTINGS if setting.secret)


# In a key=value DSN libpq ends an unquoted value at the first space; the next `word=` is another option (a mistyped
# keyword is echoed back: `invalid connection option "…"`). A space followed by anything else is a stray word libpq
# echoes too (`missing "=" after "…"`), so the run up to the next `word=` (or the end) is the secret.
_KV_PASSWORD = re.compile(
    r"\bpassword\s*=\s*(?:'(?P<quoted>(?:[^'\\]|\\.)*)'|(?P<bare>(?:\\.|\S)(?:\\.|.)*?))"
    r"(?=\s+[A-Za-z_][A-Za-z0-9_]*\s*=|\s*$)",
    re.DOTALL,
)
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)


def _unescaped(value: str) -> str:
    """A DSN value as libpq reads it: each backslash keeps the character after it."""
    return _ESCAPED.sub(r"\1", value)


def _last(dsn: str) -> re.Match[str] | None:
    """The last `password=` of a key=value DSN: libpq keeps the last of a repeated keyword."""
    *_, match = (None, *_KV_PASSWORD.finditer(dsn))
    return match


def dsn_password(dsn: str) -> str:
    """The password inside a DSN (URL or key=value form, well-formed or not); empty when there is none."""
    match = _last(dsn)
    if match:
        return _unescaped(match["quoted"]) if match["quoted"] is not None else match["bare"].strip("'")
    userinfo, at, _ = dsn.rpartition("@")
    if not at:
        return ""
    _user, colon, password = _SCHEME.sub("", userinfo).partition(":")
    return password if colon else ""


def dsn_secrets(dsn: str) -> set[str]:
    """What of a DSN must never show: its password as written, URL-decoded and unescaped, and each word of it."""
    earlier = {s for m in list(_KV_PASSWORD.finditer(dsn))[:-1] for s in dsn_secrets(dsn[m.start() : m.end()])}
    password = dsn_password(dsn)
    match = _last(dsn)
    if match is None:
        # An unencoded `/`, `?` or `#` cuts a URL's password: libpq may echo a piece of it (as the port).
        pieces = PIECE_ENDS.split(password) if cut_userinfo(dsn) else []
        return {password, unquote(password), *pieces, *map(unquote, pieces)}
    written = password if match["quoted"] is None else match["quoted"]
    # libpq quotes the word after an unquoted value's first space in its error: each word is masked on its own too.
    words = password.split() if match["quoted"] is None and len(password.split()) > 1 else []
    return {password, unquote(password), written, *map(_unescaped, [written, *words]), *words, *earlier}


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The secrets set in the environment: each secret setting's value, and the password of each DSN setting."""
    source = os.environ if environ is None else environ
    secret = frozenset(SECRET_SETTINGS)
    source = with_secret_files(source, secret, strict=False)  # one file that cannot be read hides no other secret
    found: set[str] = set()
    for written, value in source.items():
        name = written.upper()  # settings are read whatever the case of their names
        if name not in secret:
            continue
        if name.endswith("_URL"):  # the password, not the whole DSN: host and database stay readable
            found.update(dsn_secrets(value))
        else:
            found.add(value)
    return tuple(sorted((s for s in found if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """`text` with credentials masked: by pattern, and every secret value (default: from the environment)."""
    known = secret_values() if secrets is None else tuple(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _URL_CREDENTIALS.sub(lambda match: f"{match.group('head')}:{MASK}@", text)
    for pattern in (_KEY_VALUE, _BEARER):
        text = pattern.sub(lambda match: match.group("head") + MASK, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A log formatter whose whole output (message, exception, stack) goes through redact()."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self._secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# Libraries whose INFO lines are chatter (connection attempts, one line per HTTP request): warnings and up only.
QUIET_LIBRARIES = ("kafka", "aiohttp.access")


def configure_logging(level: int = logging.INFO) -> None:
    """The one logging setup of every command (lifecycle.cli calls it): redacting formatter, libraries quieted."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    formatter = RedactingFormatter(LOG_FORMAT, secret_values())
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
