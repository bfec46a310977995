"""Keep customers' personal data out of logs, dead-letter reasons and recorded errors: one masking function.

`mask_personal(text, addresses=..., names=...)` masks the given e-mail addresses and names wherever they appear
(well-formed or not), then anything else in the text shaped like an e-mail address: `robin@example.com`
becomes `r***@example.com`, `Robin Admin` becomes `R***`. Serials, event ids and origins stay readable, so an
operator can still find the input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
_WORD = r"[^\s@<>()\[\]{},;:\"'`]"  # a character an address may hold
# An address starts where such a run starts: the pattern never retries inside a run, so masking is linear.
_ADDRESS = re.compile(rf"(?<!{_WORD}){_WORD}+@{_WORD}+")
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def mask_address(address: str) -> str:
    """`robin@example.com` as `r***@example.com`; anything that is not an address keeps its first character only."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return mask_name(address)
    shown_domain = domain if _DOMAIN.fullmatch(domain) else MASK
    return f"{local[:1]}{MASK}@{shown_domain}"


def mask_name(name: str) -> str:
    """A name as its first character and `***`."""
    stripped = name.strip()
    return f"{stripped[:1]}{MASK}"


def _forms(value: str) -> set[str]:
    """The value as written, and as repr() shows it inside quotes (how error messages often quote it)."""
    return {value, value.strip(), repr(value)[1:-1]} - {""}


def mask_personal(text: str, addresses: Iterable[str] = (), names: Iterable[str] = ()) -> str:
    """`text` with the given addresses and names masked, and every other address-like word too."""
    replacements: dict[str, str] = {}
    for address in addresses:
        replacements.update(dict.fromkeys(_forms(address), mask_address(address)))
    for name in names:
        replacements.update(dict.fromkeys(_forms(name), mask_name(name)))
    if replacements:
        # Whole words only, longest first: a short name must not mask part of another word.
        alternatives = "|".join(re.escape(known) for known in sorted(replacements, key=len, reverse=True))
        text = re.sub(rf"(?<!\w)(?:{alternatives})(?!\w)", lambda match: replacements[match.group()], text)
    return _ADDRESS.sub(lambda match: mask_address(match.group()), text)
