"""`python -m lifecycle.health_probe URL`: exit 0 when URL answers 200, else 1 with one line (compose healthchecks).

The image has no curl or wget; this needs only the standard library, so a probe costs little.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 3.0


def probe(url: str, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(healthy, one line): healthy when `url` answers 200 within `timeout` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"{response.status} {response.read(500).decode(errors='replace')}"
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code} {exc.read(500).decode(errors='replace')}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"no answer from {url}: {getattr(exc, 'reason', exc)}"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith(("http://", "https://")):
        print("usage: python -m lifecycle.health_probe http://HOST:PORT/healthz", file=sys.stderr)
        return 2
    healthy, line = probe(argv[0])
    print(line.replace("\n", " "))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
