"""Read a process's health endpoint the way a probe does, for the tests that start real processes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def get_health(url: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of a health endpoint; (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}
