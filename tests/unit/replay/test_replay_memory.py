"""`lifecycle replay` keeps one copy of the values its serials' events repeat, and replays them unchanged."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from lifecycle.replay import Replay, replay_events, run_replay
from lifecycle.rules import Policy
from lifecycle.samples.synthetic import synthetic_events

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)


def _lines(count: int) -> list[str]:
    return [orjson.dumps(event).decode() for event in synthetic_events(count)]


def test_serials_of_one_product_share_its_product_and_license() -> None:
    replay = run_replay(Replay(Policy(), lambda notice: None), _lines(400), AS_OF)
    by_product: dict[bytes, list[int]] = {}
    for state in replay.states.values():
        entitlement = state.fold.entitlement
        if entitlement is not None and entitlement.upgraded_from is None:  # a purchase's, not an upgrade's
            by_product.setdefault(orjson.dumps(entitlement.product), []).append(id(entitlement.product))
    assert len(by_product) >= 3
    assert all(len(set(ids)) == 1 for ids in by_product.values())


def test_shared_values_leave_the_result_as_decoding_alone_gives() -> None:
    lines = _lines(2_000)
    plain = Replay(Policy())
    plain._share = lambda event: event  # type: ignore[method-assign]  # the replay without sharing
    expected = run_replay(plain, lines, AS_OF).document()
    assert replay_events(lines, AS_OF) == expected
    assert expected["entitlements"]
    assert expected["notices"]


def test_upgrades_to_one_product_share_it() -> None:
    replay = run_replay(Replay(Policy(), lambda notice: None), _lines(2_000), AS_OF)
    by_product: dict[bytes, set[int]] = {}
    for state in replay.states.values():
        for event in state.window:
            if event["type"] == "upgrade":
                by_product.setdefault(orjson.dumps(event["to_product"]), set()).add(id(event["to_product"]))
    assert by_product
    assert all(len(ids) == 1 for ids in by_product.values())
