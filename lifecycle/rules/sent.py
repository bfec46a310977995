"""The ids a serial has sent, each with the UTC day it was sent on, kept in one string rather than a dict.

A serial sends a few notices, derived events and decisions, and keeps their ids for as long as a refold could
make them again (see `window.settle`). Kept as a dict, three ids take about 500 bytes; joined in one string
with their days in a tuple, about half. Ids never hold a newline: the contract refuses control characters in
the serials, event ids and keys they are built from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache


class SentIds(Mapping[str, int]):
    """An immutable mapping of sent id -> day ordinal, in the order the ids were sent."""

    __slots__ = ("_days", "_text")

    def __init__(self, pairs: Iterable[tuple[str, int]] = ()) -> None:
        ordered = dict(pairs)  # an id sent again keeps its first place and its last day, as a dict does
        self._text = "".join(f"\n{key}" for key in ordered) + "\n"
        self._days = tuple(ordered.values())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and f"\n{key}\n" in self._text

    def __getitem__(self, key: str) -> int:
        at = self._text.find(f"\n{key}\n")
        if at < 0:
            raise KeyError(key)
        return self._days[self._text.count("\n", 0, at)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._text[1:-1].split("\n") if self._days else ())

    def __len__(self) -> int:
        return len(self._days)

    def as_dict(self) -> dict[str, int]:
        """The ids and their days as a dict, in the order sent (without a look-up per id)."""
        return dict(zip(self, self._days, strict=True))

    def __repr__(self) -> str:
        return f"SentIds({dict(self)!r})"

    def plus(self, keys: Sequence[str], day: int) -> SentIds:
        """These ids and `keys`, the new ones sent on `day`."""
        if not keys:
            return self
        text = self._text
        if len(keys) == 1:
            if f"\n{keys[0]}\n" in text:
                return SentIds((*self.items(), (keys[0], day)))  # sent again: the new day counts
        elif len(set(keys)) < len(keys) or any(f"\n{key}\n" in text for key in keys):
            return SentIds((*self.items(), *((key, day) for key in keys)))
        more = SentIds.__new__(SentIds)
        more._text = text + "\n".join(keys) + "\n"
        more._days = self._days + (day,) * len(keys) if self._days else _days(day, len(keys))
        return more


@lru_cache(maxsize=4096)
def _days(day: int, count: int) -> tuple[int, ...]:
    """`count` times `day`: one tuple shared by the serials whose first ids were sent on the same day."""
    return (day,) * count


# Up to this many ids are joined in one string; more (a busy serial) stay a dict, where a look-up does not scan.
_JOINED_AT_MOST = 8


def keep_sent(sent: dict[str, int]) -> Mapping[str, int]:
    """`sent` as a state keeps it: joined when it is small, the dict itself when it is not."""
    return SentIds(sent.items()) if len(sent) <= _JOINED_AT_MOST else sent


def sent_dict(sent: Mapping[str, int]) -> dict[str, int]:
    """`sent` as a plain dict, for writing: the dict a busy serial keeps is itself one, and is not copied."""
    if isinstance(sent, dict):
        return sent
    return sent.as_dict() if isinstance(sent, SentIds) else dict(sent)


def add_sent(sent: Mapping[str, int], keys: Sequence[str], day: int) -> Mapping[str, int]:
    """`sent` and `keys`, the new ones sent on `day` (an id sent again takes the new day, as in a dict)."""
    if not keys:
        return sent
    if isinstance(sent, SentIds) and len(sent) + len(keys) <= _JOINED_AT_MOST:
        return sent.plus(keys, day)
    return keep_sent({**sent, **dict.fromkeys(keys, day)})


NOTHING_SENT = SentIds()
"""The state of a serial that has sent nothing yet: one shared, immutable instance."""
