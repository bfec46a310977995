"""The README stays true: its settings table is the settings, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

from lifecycle import settings_table
from lifecycle.settings import SETTINGS

ROOT = Path(__file__).parents[2]


def _table_rows() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- settings:start -->\n(.*?)<!-- settings:end -->", text, re.S)
    assert block, "README has no settings table"
    return [line for line in block.group(1).splitlines() if line.startswith("| `")]


def test_readme_lists_every_setting_with_its_default() -> None:
    listed = {row.split("`")[1]: row for row in _table_rows()}
    assert list(listed) == [s.env for s in SETTINGS]
    for setting in SETTINGS:
        shown = f"`{setting.default}`" if setting.default else "(empty)"
        assert f"| {shown} | {setting.help} |" in listed[setting.env]


def test_the_readme_table_is_the_generated_one() -> None:
    text = (ROOT / "README.md").read_text()
    assert settings_table.written(text) == text, "run `make settings-table`"
    assert settings_table.main(["--check"]) == 0


def test_ci_runs_the_readme_test_command() -> None:
    first_lines = (ROOT / "README.md").read_text().splitlines()[:6]
    commands = [line.split("#")[0].strip() for line in first_lines if line.startswith("make ")]
    assert commands == ["make up", "make test-all"]
    assert re.search(r"^make test-all\b", (ROOT / ".ci" / "run").read_text(), re.M)
