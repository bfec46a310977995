"""What `lifecycle redrive` prints before it sends: the letters chosen by topic, those passed over and why.

Whatever comes from a letter (its reason, its origin topic) is printed escaped: a letter is input from anywhere,
and a newline or a terminal's escape sequence in it must not reach the operator's terminal as such.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from lifecycle.admin import admin_client
from lifecycle.redrive_letters import Letter
from lifecycle.settings import Settings


def printable(text: str) -> str:
    """The text on one line, each control character (and backslash) escaped as a Python literal writes it."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(char if char.isprintable() and char != "\\" else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    return "\\\\" if char == "\\" else char.encode("unicode_escape").decode("ascii")


def absent_topics(settings: Settings, names: Iterable[str]) -> set[str]:
    """Those of the named topics the broker does not have (sending to one would wait for it, then fail)."""
    wanted = set(names)
    if not wanted:
        return set()
    with admin_client(settings) as client:
        existing = set(client.list_topics())
    return wanted - existing


def print_plan(
    total: int,
    going: list[Letter],
    absent: Counter[str],
    skipped: Counter[str],
    not_kept: list[Letter],
    verb: str,
) -> None:
    """The counts: letters read, those sent back by topic, those left out (a topic gone) and passed over."""
    print(f"{total} dead letters; {verb}")
    for topic, count in sorted(Counter(letter.origin_topic for letter in going).items()):
        print(f"  {printable(topic)}: {count}")
    for topic, count in sorted(absent.items()):
        print(f"  left out, topic {printable(topic)} does not exist: {count} (create it, then run the redrive again)")
    for cause, count in sorted(skipped.items()):
        print(f"  skipped, {cause}: {count}")
    for letter in not_kept:
        print(f"  not sent back, original not kept whole: {printable(letter.describe())}")
