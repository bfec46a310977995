"""Dead letters published whose ledger record failed: the retry records them and publishes no second letter."""

from __future__ import annotations

from collections import OrderedDict

from consumers.record import Record

# Far more than a batch (app.MAX_BATCH): only letters whose record is abandoned (its partition gone) stay.
LIMIT = 1000


class PublishedLetters:
    """The reason of each letter published and not yet recorded, by its record's position; the oldest go past `limit`.

    Keyed by position, not notice_id: the retry of that record finds its letter, a copy sent back by `lifecycle
    redrive` (another offset) is delivered afresh.
    """

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._reasons: OrderedDict[tuple[str, int, int], str] = OrderedDict()

    def remember(self, record: Record, reason: str) -> None:
        """Note that the letter for `record` went out with `reason`."""
        self._reasons[_position(record)] = reason
        while len(self._reasons) > self._limit:
            self._reasons.popitem(last=False)

    def reason(self, record: Record) -> str | None:
        """The reason of the letter published for `record` and not yet recorded; None when there is none."""
        return self._reasons.get(_position(record))

    def forget(self, record: Record) -> None:
        """Drop the letter for `record`: the ledger has it."""
        self._reasons.pop(_position(record), None)


def _position(record: Record) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset
