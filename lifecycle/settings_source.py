"""Where settings are read from (the environment, or a mapping a caller passes) and their problems as one line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, EnvSettingsSource

PREFIX = "LIFECYCLE_"

_EXPECTED = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
}


class Environment(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping (tests pass their own) instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}  # case-insensitive, as the default


def problem(error: Any, secret: bool) -> str:
    """One validation error as `LIFECYCLE_X must be …, not '…'` (a `secret` setting's value is never shown)."""
    name = str(error["loc"][0]) if error["loc"] else ""
    env = PREFIX + name.upper()
    if error["type"] == "value_error":
        return f"{env} {error['ctx']['error']}"
    expected = _EXPECTED.get(error["type"], error["msg"].lower())
    if secret:
        return f"{env} must be {expected}"
    return f"{env} must be {expected}, not {error['input']!r}"
