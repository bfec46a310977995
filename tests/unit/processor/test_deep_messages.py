"""The processor refuses a message nested deeper than the contract's limit as emit and replay do: one reason."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from nesting import TOO_DEEP, default_recursion_limit, with_escape, with_extra

from lifecycle.rules import Policy, catalog_from_releases
from lifecycle.topics import UPGRADE_GRANTS
from schemas.checks import MAX_DEPTH
from streams.handler import Context, Inbound, handle

AT = datetime(2026, 3, 1, tzinfo=UTC)
CONTEXT = Context("p", catalog_from_releases([]), Policy.with_lead_days((30,)), lambda: AT, preview_bytes=1024)
REFUSAL = f"not JSON: nested deeper than {MAX_DEPTH} levels"


def _reason(topic: str, kind: str, depth: int, escaped: bool) -> str | None:
    raw = with_extra(depth - 1, kind)
    serial = str(orjson.loads(raw).get("serial", "")).encode()
    message = Inbound(topic, 0, 1, serial, with_escape(raw) if escaped else raw)
    with default_recursion_limit():
        return handle(message, lambda serial: None, CONTEXT).reason


@pytest.mark.parametrize("escaped", [False, True])
@pytest.mark.parametrize(("topic", "kind"), [("p.purchases", "purchase"), (UPGRADE_GRANTS.name("p"), "upgrade_grant")])
def test_a_message_deeper_than_the_limit_is_dead_lettered_with_one_reason(topic: str, kind: str, escaped: bool) -> None:
    for depth in (MAX_DEPTH + 1, 300, TOO_DEEP):
        assert _reason(topic, kind, depth, escaped) == REFUSAL
    assert _reason(topic, kind, MAX_DEPTH, escaped) != REFUSAL


def test_a_purchase_within_the_limit_is_applied() -> None:
    assert _reason("p.purchases", "purchase", MAX_DEPTH, escaped=True) is None
