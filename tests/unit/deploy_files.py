"""Readers shared by the deploy tests: the YAML documents, LIFECYCLE_* names, Kafka ACLs and quantities in deploy/."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lifecycle.redact import SECRET_SETTINGS
from lifecycle.settings_files import secret_of_file_setting

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV_NAME = re.compile(r"\bLIFECYCLE_[A-Z0-9_]+\b")
# Kafka's implied ACL operations: Read, Write, Delete or Alter allow Describe; AlterConfigs allows DescribeConfigs.
IMPLIED = {"Read": "Describe", "Write": "Describe", "Delete": "Describe", "Alter": "Describe"}
IMPLIED_CONFIGS = {"AlterConfigs": "DescribeConfigs"}
BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
# Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+other}.
INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
REQUIRED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?")
# Compose's sizes (docker's RAMInBytes): a number and k, m or g, counted in 1024s.
COMPOSE_SIZES = {"k": 2**10, "m": 2**20, "g": 2**30}
# Where compose mounts a secret: /run/secrets/<name>.
COMPOSE_SECRETS = "/run/secrets/"


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


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """`text` as compose reads it with `environ` as its variables; a required one missing raises KeyError."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        value = environ.get(name)
        missing = value is None or (value == "" and (op or ":").startswith(":"))
        if op is None:
            return value or ""
        if op.endswith("-"):
            return arg if missing else str(value)
        if op.endswith("?"):
            if missing:
                raise KeyError(f"{name}: {arg}")
            return str(value)
        return "" if missing else arg  # ${VAR:+other}

    return INTERPOLATION.sub(one, text)


def compose_required() -> dict[str, str]:
    """A value for every variable compose.yaml requires (`${VAR:?...}`), as an operator would export them."""
    names = REQUIRED.findall((DEPLOY / "compose.yaml").read_text())
    return {name: f"{name.lower()}-0123456789abcdef" for name in names}


def compose_environment(service: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment one compose service's container gets: the file's values interpolated from `environ`
    (by default only the required variables: every other one at its default)."""
    variables = compose_required() if environ is None else environ
    values = compose()["services"][service].get("environment", {})
    return {name: interpolate(str(value), variables) for name, value in values.items()}


def secret_setting_of(name: str) -> str | None:
    """The secret setting an environment variable holds (`<SECRET>`) or names the file of (`<SECRET>_FILE`)."""
    return name.upper() if name.upper() in SECRET_SETTINGS else secret_of_file_setting(name, SECRET_SETTINGS)


def compose_secret_files(service: str) -> dict[str, str]:
    """The secret settings a compose service reads from files: setting -> the compose secret its `_FILE` names."""
    found: dict[str, str] = {}
    for name, value in compose()["services"][service].get("environment", {}).items():
        setting = secret_of_file_setting(name, SECRET_SETTINGS)
        if setting is not None:
            assert str(value).startswith(COMPOSE_SECRETS), (service, name)  # a secret's file, nowhere else
            found[setting] = str(value).removeprefix(COMPOSE_SECRETS)
    return found


def k8s_volume_files(volume: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The files a secret or projected volume holds by its items: path -> (Secret, key); none for a whole Secret."""
    if "secret" in volume:
        sources = [{"secret": {"name": volume["secret"]["secretName"], "items": volume["secret"].get("items")}}]
    else:
        sources = volume.get("projected", {}).get("sources", [])
    files: dict[str, tuple[str, str]] = {}
    for source in sources:
        secret = source.get("secret") or {}
        for item in secret.get("items") or []:
            files[item["path"]] = (secret["name"], item["key"])
    return files


def k8s_secret_files(spec: Mapping[str, Any], container: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The secret settings a container reads from files: setting -> (Secret, key), followed from the path its
    `<SETTING>_FILE` names through the container's mount to the item of the volume that puts the file there."""
    volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
    mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
    found: dict[str, tuple[str, str]] = {}
    for variable in container.get("env", []):
        setting = secret_of_file_setting(variable["name"], SECRET_SETTINGS)
        if setting is not None:
            folder, file = variable["value"].rsplit("/", 1)
            found[setting] = k8s_volume_files(volumes[mounts[folder]])[file]
    return found


def compose_size(text: str | int) -> int:
    """A compose size ("64m", "1G", "512M") in bytes."""
    value = str(text).strip().lower().removesuffix("b")
    factor = COMPOSE_SIZES.get(value[-1:], 1)
    return int(float(value[:-1] if value[-1:] in COMPOSE_SIZES else value) * factor)


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
