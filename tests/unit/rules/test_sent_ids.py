"""The sent ids a state keeps read as the dict they stand for: order, days, and an id sent again."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.rules.sent import NOTHING_SENT, SentIds, add_sent, keep_sent, sent_dict

pytestmark = pytest.mark.unit

_IDS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)


def test_ids_added_read_back_with_their_day_in_order() -> None:
    sent = NOTHING_SENT.plus(["notice:S:1", "refused:e1"], 738000).plus(["notice:S:2"], 738001)
    assert list(sent) == ["notice:S:1", "refused:e1", "notice:S:2"]
    assert sent["refused:e1"] == 738000
    assert sent["notice:S:2"] == 738001
    assert "notice:S:1" in sent
    assert "notice:S" not in sent  # a prefix of an id is not that id
    assert "S:1" not in sent
    with pytest.raises(KeyError):
        sent["never"]
    assert len(NOTHING_SENT) == 0
    assert list(NOTHING_SENT) == []


@given(st.lists(st.lists(_IDS, max_size=4), max_size=6))
def test_sent_ids_equal_the_dict_they_replace(batches: list[list[str]]) -> None:
    joined = NOTHING_SENT
    kept: Mapping[str, int] = NOTHING_SENT
    expected: dict[str, int] = {}
    for day, batch in enumerate(batches, start=738000):
        joined = joined.plus(batch, day)
        kept = add_sent(kept, batch, day)
        expected = {**expected, **dict.fromkeys(batch, day)}
    for sent in (joined, kept, keep_sent(dict(expected))):
        assert dict(sent) == expected
        assert list(sent) == list(expected)
        assert sent == expected
    assert joined.as_dict() == expected
    assert sent_dict(joined) == expected
    busy = dict(expected)
    assert sent_dict(busy) is busy  # written as it is kept, not copied
    assert list(joined.as_dict()) == list(expected)
    assert isinstance(kept, SentIds) == (len(expected) <= 8)  # a busy serial's ids stay a dict
