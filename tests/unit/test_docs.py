"""The docs stay true: every rule product code cites is defined in docs/rules.md, every path they name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"
PRODUCT_DIRS = ("lifecycle", "streams", "consumers", "schemas")
PRODUCT_SUFFIXES = {".py", ".sql", ".j2", ".html", ".js"}
CITATION = re.compile(r"\bR(\d{1,2})(a?)\b")
CITED_RANGE = re.compile(r"\bR(\d{1,2})\s*[-\u2013]\s*R(\d{1,2})\b")  # a hyphen or an en dash
DEFINITION = re.compile(r"^## (R\d{1,2}a?) ", re.M)
PATH = re.compile(r"`((?:lifecycle|streams|consumers|schemas|templates|tests|deploy|docs)/[^`\s]*)`")


def _product_files() -> list[Path]:
    return sorted(
        path
        for top in PRODUCT_DIRS
        for path in (ROOT / top).rglob("*")
        if path.is_file() and path.suffix in PRODUCT_SUFFIXES and "__pycache__" not in path.parts
    )


def cited_rules(text: str) -> set[str]:
    """The rule numbers a text cites, ranges such as `R4-R7` counted in full."""
    cited = {f"R{number}{suffix}" for number, suffix in CITATION.findall(text)}
    for first, last in CITED_RANGE.findall(text):
        cited |= {f"R{number}" for number in range(int(first), int(last) + 1)}
    return cited


def _citations() -> dict[str, set[str]]:
    """Rule number -> the product files that cite it."""
    by_rule: dict[str, set[str]] = {}
    for path in _product_files():
        for rule in cited_rules(path.read_text(errors="replace")):
            by_rule.setdefault(rule, set()).add(str(path.relative_to(ROOT)))
    return by_rule


def test_citations_are_read_with_their_ranges() -> None:
    assert cited_rules("Purchases (R1, R2, R4-R7); held (R14a); R10\u2013R12; not PR12 nor R123") == {
        "R1",
        "R2",
        "R4",
        "R5",
        "R6",
        "R7",
        "R14a",
        "R10",
        "R11",
        "R12",
    }


def test_every_rule_product_code_cites_is_defined_in_docs_rules() -> None:
    defined = set(DEFINITION.findall((DOCS / "rules.md").read_text()))
    citations = _citations()
    assert {"R1", "R9", "R14a", "R17"} <= set(citations), "the rule citations in product code were not found"
    undefined = {rule: sorted(files) for rule, files in citations.items() if rule not in defined}
    assert not undefined, f"cited in product code but not defined in docs/rules.md: {undefined}"


def test_product_code_cites_no_document_outside_the_repository() -> None:
    outside = [
        str(path.relative_to(ROOT))
        for path in _product_files()
        if re.search(r"design(\.md)? ?§|design\.md", path.read_text(errors="replace"))
    ]
    assert not outside, f"these cite the design brief, not docs/: {outside}"


def _exists(reference: str) -> bool:
    """Whether `path` or `path::test_name` names a file of the repository (and a function in it)."""
    path, _, name = reference.partition("::")
    if not (ROOT / path).exists():
        return False
    return not name or bool(re.search(rf"^def {re.escape(name)}\(", (ROOT / path).read_text(), re.M))


@pytest.mark.parametrize("doc", ["rules.md", "architecture.md"])
def test_every_path_a_doc_names_exists(doc: str) -> None:
    named = PATH.findall((DOCS / doc).read_text())
    assert named, f"docs/{doc} names no path"
    missing = [reference for reference in named if not _exists(reference)]
    assert not missing, f"docs/{doc} names what does not exist: {missing}"
