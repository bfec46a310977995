"""Readers shared by the deploy tests: the YAML documents and LIFECYCLE_* names under deploy/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_NAME = re.compile(r"\bLIFECYCLE_[A-Z0-9_]+\b")


def k8s_documents(kind: str) -> list[dict[str, Any]]:
    """Every document of `kind` in deploy/k8s/*.yaml."""
    documents: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        documents.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc and doc.get("kind") == kind)
    return documents


def compose() -> dict[str, Any]:
    """deploy/compose.yaml, parsed."""
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


def env_names_used() -> dict[str, set[str]]:
    """Every LIFECYCLE_* name mentioned in a deploy file, by file."""
    used: dict[str, set[str]] = {}
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and path.suffix in {".yaml", ".yml", ".json", ""}:
            names = set(ENV_NAME.findall(path.read_text()))
            if names:
                used[str(path.relative_to(DEPLOY))] = names
    return used
