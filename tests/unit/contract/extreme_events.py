"""Hypothesis strategies: events of every type with fields pushed to and past the contract's bounds."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from lifecycle.rules import tick_event
from lifecycle.samples import events as ev
from schemas.codec import FIRST_YEAR, LAST_YEAR, load_schema

BOUNDARY_YEARS = (1, 4, 1989, 1990, 2000, 2024, 2096, 2100, 2101, 9999)
INTS = (0, -1, 1, 2, 120, 121, 3660, 3661, 100_000, 100_001, 2**31, 2**63 - 1, 2**63, 2**64 - 1, -(2**63), 10**30)
CONTROLS = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
# Short ids, and ids as long as the schemas allow: the ids the rules build from them must still fit.
_LIMITS = {name: prop.get("maxLength", 0) for name, prop in load_schema("upgrade")["properties"].items()}
ID_LIMIT = _LIMITS["event_id"]
SERIALS = ("S1", "S2", "S" * _LIMITS["serial"])
NEW_SERIALS = ("N1", "N" * _LIMITS["new_serial"])
ORDERS = ("ro1", "ro2", "r" * load_schema("renewal")["properties"]["renewal_order_id"]["maxLength"])
VERSIONS = (
    "12",
    "13",
    "14",
    "1" * load_schema("release")["properties"]["product"]["properties"]["version"]["maxLength"],
)
FIRST_INSTANT = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LAST_DAY = (date(LAST_YEAR, 12, 31) - FIRST_INSTANT.date()).days
CONTACT = {"email": "ada@customers.example.com", "name": "Ada"}
PRODUCT_FIELDS = ("sku", "name", "family", "version")
# What each event type may have changed, as dotted paths (the names refusals must give).
FIELDS: dict[str, tuple[str, ...]] = {
    "purchase": (
        *("event_id", "source", "occurred_at", "schema_version", "order_id", "account_id", "serial"),
        *(f"product.{name}" for name in PRODUCT_FIELDS),
        *("license.quantity", "license.term_months", "price.amount", "contact.email", "contact.name"),
    ),
    "registration": (
        *("event_id", "source", "occurred_at", "schema_version", "account_id", "serial", "renewal_order_id"),
        *("contact.email", "contact.name"),
    ),
    "renewal": ("event_id", "occurred_at", "schema_version", "renewal_order_id", "account_id", "serial", "term_months"),
    "upgrade": (
        *("event_id", "occurred_at", "schema_version", "account_id", "serial", "new_serial"),
        *(f"to_product.{name}" for name in PRODUCT_FIELDS),
    ),
    "release": ("event_id", "occurred_at", "schema_version", "product.family", "product.version", "released_on"),
    "tick": ("event_id", "source", "occurred_at", "schema_version", "serial", "due_on", "lead_days"),
    "case_opened": ("event_id", "source", "occurred_at", "schema_version", "case_number", "account_id", "serial"),
}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def dates() -> st.SearchStrategy[date]:
    """Any date, with weight on boundary years, month ends and leap days."""
    leap_days = [date(year, 2, 29) for year in (4, 1992, 2000, 2096, 2400, 9996)]
    return st.one_of(
        st.dates(),
        st.builds(_month_end, st.sampled_from(BOUNDARY_YEARS), st.integers(1, 12)),
        st.sampled_from(leap_days),
        st.dates(date(1989, 12, 1), date(1990, 1, 31)),
        st.dates(date(2100, 12, 1), date(2101, 1, 31)),
    )


def instants() -> st.SearchStrategy[str]:
    """RFC 3339 instants on those dates, at day edges, in zones up to a day away from UTC."""
    times = st.sampled_from(("00:00:00", "00:30:00", "12:00:00.5", "23:59:59", "23:59:59.999999", "23:59:60"))
    zones = st.sampled_from(("Z", "z", "+00:00", "+14:00", "-12:00", "+01:00", "-05:00", "+23:59", "-23:59"))
    separators = st.sampled_from(("T", "t", " "))
    return st.builds(lambda d, s, t, z: f"{d.isoformat()}{s}{t}{z}", dates(), separators, times, zones)


def integers() -> st.SearchStrategy[Any]:
    """Boundary and huge integers, and floats where integers belong."""
    return st.one_of(st.sampled_from(INTS), st.integers(), st.floats(allow_nan=False, allow_infinity=False))


def texts() -> st.SearchStrategy[str]:
    """Identifiers with control characters, empty, at and past their length limits, and huge."""
    sizes = st.sampled_from((1, 50, 51, 64, 65, 100, 101, 200, 201, 501, 100_000))
    return st.one_of(
        st.text(max_size=40),
        st.builds(lambda a, c, b: f"{a}{c}{b}", st.text(max_size=5), st.sampled_from(CONTROLS), st.text(max_size=5)),
        st.builds(lambda c, n: c * n, st.sampled_from(("x", "é", "😀", "\x00", " ")), sizes),
    )


def values(path: str) -> st.SearchStrategy[Any]:
    """Extreme values for one field, now and then of the wrong JSON type."""
    leaf = path.rpartition(".")[2]
    if leaf == "occurred_at":
        main: st.SearchStrategy[Any] = instants()
    elif leaf in ("released_on", "due_on"):
        main = dates().map(date.isoformat)
    elif leaf in ("quantity", "term_months", "lead_days", "schema_version"):
        main = integers()
    elif leaf == "amount":
        amounts = ("0", "0.00", "9999999.99", "10000000", "10000000.00", "-1", "1e9", "١٢", str(2**64))
        main = st.one_of(st.sampled_from(amounts), st.decimals(allow_nan=False, allow_infinity=False).map(str))
    else:
        main = texts()
    wrong = st.one_of(st.none(), st.booleans(), st.integers(), st.lists(st.integers(), max_size=2), texts())
    return st.one_of(main, main, main, wrong)


@st.composite
def base_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event of any type, in range, on few serials (so the rules meet histories), ids up to their limits."""
    # Uniform over the accepted years, or within a few weeks of either end of them.
    days = draw(st.one_of(st.integers(0, LAST_DAY), st.integers(0, 40), st.integers(LAST_DAY - 40, LAST_DAY)))
    at = FIRST_INSTANT + timedelta(days=days, seconds=draw(st.integers(0, 86_399)))
    serial, kind = draw(st.sampled_from(SERIALS)), draw(st.sampled_from(tuple(FIELDS)))
    event_id = f"e{draw(st.integers(0, 10**6))}".ljust(draw(st.sampled_from((1, ID_LIMIT))), "x")
    months, order = draw(st.sampled_from((1, 12, 120))), draw(st.sampled_from(ORDERS))
    name = draw(st.sampled_from(("backup-advanced", "true-image", "discwizard")))
    version = draw(st.sampled_from(VERSIONS))
    if kind == "purchase":
        channel = draw(st.sampled_from(("online_store", "retail_box", "partner")))
        license_type = draw(st.sampled_from(("perpetual", "subscription")))
        term = months if license_type == "subscription" else None
        event = ev.purchase(event_id, at, serial, "acct", name, version, channel, license_type, term, contact=CONTACT)
        return {**event, "order_id": order, "contact": dict(CONTACT)}
    if kind == "registration":
        order_or_none = draw(st.sampled_from((None, order)))
        return ev.registration(event_id, at, serial, "acct", renewal_order_id=order_or_none, contact=dict(CONTACT))
    if kind == "renewal":
        channel = draw(st.sampled_from(("online_store", "sales", "partner")))
        return ev.renewal(event_id, at, serial, "acct", order, months, channel)
    if kind == "upgrade":
        new_serial = draw(st.sampled_from(NEW_SERIALS))
        return ev.upgrade(event_id, at, serial, "acct", new_serial, "backup-advanced", version)
    if kind == "release":
        return ev.release(event_id, at, name, version)
    if kind == "case_opened":
        category = draw(st.sampled_from(("technical", "customer_service", "recovery")))
        channel = draw(st.sampled_from(("chat", "email", "phone")))
        return ev.case(event_id, at, serial, "acct", order, category, channel, draw(st.sampled_from("ABCD")))
    tick_kind = draw(st.sampled_from(("reminder", "expiry", "version_check", "hold_expiry")))
    return tick_event(serial, tick_kind, at.date(), 30 if tick_kind == "reminder" else None)


@st.composite
def extreme_lines(draw: st.DrawFn) -> tuple[str, frozenset[str]]:
    """One JSON line of a valid event with up to three fields pushed to extremes, and the paths changed."""
    event = draw(base_events())
    paths = draw(st.sets(st.sampled_from(FIELDS[event["type"]]), max_size=3))
    for path in paths:
        *parents, leaf = path.split(".")
        target = event
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = draw(values(path))
    # json, not orjson: it writes integers of any size, as some producers do.
    return json.dumps(event, ensure_ascii=draw(st.booleans())), frozenset(paths)
