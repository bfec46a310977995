"""The support lifecycle: which versions of a family are supported, from its releases (R10)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache

from lifecycle.rules.model import Catalog, Event, Release

_PARTS = re.compile(r"(\d+)")


@lru_cache(maxsize=65536)
def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders versions naturally: 9 < 10 < 11.5 < 2015."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _PARTS.split(version) if part)


def release_from_event(event: Event) -> Release:
    """The release a release event announces."""
    product = event["product"]
    return Release(product["family"], product["version"], date.fromisoformat(event["released_on"]))


def catalog_from_releases(releases: Iterable[Release]) -> Catalog:
    """Group releases by family."""
    grouped: dict[str, set[Release]] = {}
    for release in releases:
        grouped.setdefault(release.family, set()).add(release)
    return {family: tuple(sorted(items, key=lambda r: r.released_on)) for family, items in grouped.items()}


def support_ends_on(catalog: Catalog, family: str, version: str) -> date | None:
    """The day `version` leaves the support lifecycle: when a second newer version was released.

    A release of V makes V and the one version before it the supported ones, so a version stays
    supported until two newer versions exist. None: still supported as far as the catalog knows.
    """
    key = version_key(version)
    newer: set[str] = set()
    for release in catalog.get(family, ()):  # ordered by release date
        if version_key(release.version) > key:
            newer.add(release.version)
            if len(newer) == 2:
                return release.released_on
    return None
