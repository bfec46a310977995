"""Deeply nested JSON lines, and Python's default recursion limit, which msgspec's decoder counts its levels against.

Import it as `from nesting import nested, with_extra, default_recursion_limit` (tests/ is on sys.path).
Depths count every object and array, the outermost one included: `with_extra(depth)` is nested `depth + 1` levels.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from examples import example

DEFAULT_RECURSION_LIMIT = 1000
# Within orjson's 1024 levels, beyond what msgspec's decoder recurses into under the default limit.
TOO_DEEP = 1000


def nested(depth: int) -> bytes:
    """An object `depth` levels deep: {"a":{"a":…{}…}}."""
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def with_extra(depth: int, kind: str = "purchase") -> bytes:
    """The contract's example of `kind` with one more field, nested `depth` levels deep."""
    return orjson.dumps(example(kind))[:-1] + b',"extra":' + nested(depth) + b"}"


def with_escape(raw: bytes) -> bytes:
    """The document with a `\\n` escape in its extra field's name: the same nesting, off the fast path."""
    return raw.replace(b'"extra":', b'"extra\\n":', 1)


@contextmanager
def default_recursion_limit() -> Iterator[None]:
    """Python's default recursion limit in the block (a test run may have raised it)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)
