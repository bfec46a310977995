"""The rules' values: slotted dataclasses that the type checker holds frozen, and copies with some fields changed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any, TypeVar, dataclass_transform

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value(cls: type[_T]) -> type[_T]:
    """A slotted dataclass, compared and hashed by its fields, whose fields the type checker allows no assignment to.

    Slotted: a third less memory than an instance dict, and many serials' states are kept at once.
    Frozen to mypy, not at run time: a frozen dataclass's __init__ and copies cost three times as much (each
    field set through object.__setattr__), and the rules make a few per event. `make typecheck` refuses an
    assignment to a field as a frozen dataclass would; the rules only ever copy (see `evolve`).
    """
    return dataclass(slots=True, unsafe_hash=True)(cls)


def evolve(instance: _T, **changes: Any) -> _T:
    """A copy of a `value` with some fields changed (`dataclasses.replace` without re-running __init__)."""
    kind: Any = type(instance)  # a class: hashable, as the cache wants
    copy: Callable[[_T, dict[str, Any]], _T] = _copier(kind)
    return copy(instance, changes)


@cache
def _copier(kind: type[Any]) -> Callable[[Any, dict[str, Any]], Any]:
    """A function that copies an instance of a `value` class with some fields changed.

    Written out one field a line, as `dataclasses` writes __init__: a loop over the fields costs twice the time.
    """
    lines = [
        f"    copied.{f.name} = changes[{f.name!r}] if {f.name!r} in changes else instance.{f.name}"
        for f in fields(kind)
    ]
    scope: dict[str, Any] = {"new": object.__new__, "kind": kind}
    exec("def copy(instance, changes):\n    copied = new(kind)\n" + "\n".join(lines) + "\n    return copied", scope)
    copier: Callable[[Any, dict[str, Any]], Any] = scope["copy"]
    return copier
