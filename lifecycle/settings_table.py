"""The README's settings table, generated from `lifecycle.settings` (`make settings-table` rewrites it)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lifecycle.settings import SETTINGS

README = Path(__file__).parents[1] / "README.md"
BLOCK = re.compile(r"(<!-- settings:start -->\n)(.*?)(<!-- settings:end -->)", re.S)


def render() -> str:
    """The table as the README holds it between its settings markers."""
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        shown = f"`{setting.default}`" if setting.default else "(empty)"
        rows.append(f"| `{setting.env}` | {shown} | {setting.help} |")
    return "\n".join(rows) + "\n"


def written(text: str) -> str:
    """`text` (the README) with its settings table replaced by the generated one."""
    if not BLOCK.search(text):
        raise ValueError("README.md has no <!-- settings:start --> … <!-- settings:end --> block")
    return BLOCK.sub(lambda match: match.group(1) + render() + match.group(3), text, count=1)


def main(argv: list[str]) -> int:
    """Rewrite the README's table, or with --check report whether it is in step."""
    text = README.read_text()
    if argv == ["--check"]:
        if written(text) == text:
            return 0
        print("README.md's settings table is out of step with lifecycle/settings.py: run `make settings-table`")
        return 1
    if argv:
        print("usage: python -m lifecycle.settings_table [--check]", file=sys.stderr)
        return 2
    README.write_text(written(text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
