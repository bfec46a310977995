"""Readers shared by the deploy tests: the YAML documents, LIFECYCLE_* names, Kafka ACLs and quantities in deploy/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_NAME = re.compile(r"\bLIFECYCLE_[A-Z0-9_]+\b")
# Kafka's implied ACL operations: Read, Write, Delete or Alter allow Describe; AlterConfigs allows DescribeConfigs.
IMPLIED = {"Read": "Describe", "Write": "Describe", "Delete": "Describe", "Alter": "Describe"}
IMPLIED_CONFIGS = {"AlterConfigs": "DescribeConfigs"}
BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


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


def kafka_users() -> dict[str, list[dict[str, Any]]]:
    """Every KafkaUser's ACLs, by user name (which is also the name of the Secret Strimzi writes its password to)."""
    return {doc["metadata"]["name"]: doc["spec"]["authorization"]["acls"] for doc in k8s_documents("KafkaUser")}


def acl_matches(resource: dict[str, Any], kind: str, name: str) -> bool:
    """Whether an ACL's resource covers the `kind` ("topic", "group") named `name`."""
    if resource["type"] != kind:
        return False
    pattern: str = resource["name"]
    return name.startswith(pattern) if resource.get("patternType") == "prefix" else name == pattern


def effective(operations: set[str]) -> set[str]:
    """The operations together with those Kafka lets them imply."""
    implied = {IMPLIED.get(op) for op in operations} | {IMPLIED_CONFIGS.get(op) for op in operations}
    return operations | {op for op in implied if op}


def granted(acls: list[dict[str, Any]], kind: str, name: str) -> set[str]:
    """What these ACLs allow on one resource, implied operations included."""
    return effective({op for acl in acls if acl_matches(acl["resource"], kind, name) for op in acl["operations"]})


def quantity(text: str | int) -> float:
    """A Kubernetes quantity ("64Mi", "500m", "2") as a number of bytes or cores."""
    value = str(text)
    for suffix, factor in BINARY_SUFFIXES.items():
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * factor
    return float(value[:-1]) / 1000 if value.endswith("m") else float(value)
