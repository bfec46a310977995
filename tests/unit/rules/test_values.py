"""The rules' value classes: copies leave the original as it was, and the type checker refuses assignments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from mypy import api

from lifecycle.rules.fold import Fold
from lifecycle.rules.model import Hold, SerialState
from lifecycle.rules.values import evolve

pytestmark = pytest.mark.unit


def test_a_copy_changes_only_what_it_names_and_leaves_the_original() -> None:
    state = SerialState("S1", revision=3, folded_ids=("a",))
    copied = evolve(state, revision=4)
    assert (copied.serial, copied.revision, copied.folded_ids) == ("S1", 4, ("a",))
    assert state.revision == 3
    assert copied is not state
    assert copied != state


def test_values_compare_and_hash_by_their_fields() -> None:
    since = datetime(2025, 1, 1, tzinfo=UTC)
    first = Hold("e1", "renewal", "2025-01-01T00:00:00Z", since)
    second = Hold("e1", "renewal", "2025-01-01T00:00:00Z", since)
    assert first == second
    assert hash(first) == hash(second)
    assert evolve(first, event_id="e2") != first
    assert Fold("S1") == Fold("S1")


def test_the_type_checker_refuses_an_assignment_to_a_field(tmp_path: Path) -> None:
    # Not frozen at run time (see `values.value`): the type checker is what keeps the values unchanged.
    module = tmp_path / "assigns.py"
    module.write_text("from lifecycle.rules.fold import Fold\n\nfold = Fold('S1')\nfold.serial = 'S2'\n")
    out, _, status = api.run([str(module), "--strict", "--no-incremental", "--follow-imports=silent"])
    assert status == 1
    assert 'Property "serial" defined in "Fold" is read-only' in out
