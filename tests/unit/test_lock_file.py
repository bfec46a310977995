"""requirements.lock keeps step with pyproject.toml: every dependency pinned, hashed, and within its range.

A dependency added to or changed in pyproject.toml without `make lock` fails here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def locked(lock: str = "requirements.lock") -> dict[str, tuple[str, list[str]]]:
    """Name -> (version, hashes) of every pin in a lock file."""
    pins: dict[str, tuple[str, list[str]]] = {}
    name = ""
    for line in (ROOT / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = canonicalize_name(match["name"])
            pins[name] = (match["version"], [])
        elif line.strip().startswith("--hash=sha256:") and name:
            pins[name][1].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
    return pins


def declared() -> list[Requirement]:
    """The runtime, dev and build requirements of pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    texts = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
        *project["build-system"]["requires"],
    ]
    return [Requirement(text) for text in texts]


def test_every_pin_carries_a_sha256_hash() -> None:
    pins = locked()

    assert len(pins) > 20
    unhashed = [name for name, (_version, hashes) in pins.items() if not hashes]
    assert unhashed == []
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for _v, hashes in pins.values() for digest in hashes)


@pytest.mark.parametrize("requirement", declared(), ids=str)
def test_each_declared_dependency_is_locked_within_its_range(requirement: Requirement) -> None:
    pins = locked()
    name = canonicalize_name(requirement.name)

    assert name in pins, f"{requirement.name} is not in requirements.lock: run `make lock`"
    version = pins[name][0]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"requirements.lock pins {requirement.name}=={version}, outside {requirement.specifier}: run `make lock`"
    )


def test_the_image_installs_the_runtime_lock_pinned_as_the_full_lock() -> None:
    runtime, full = locked("requirements-runtime.lock"), locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    needed = {canonicalize_name(Requirement(text).name) for text in project["project"]["dependencies"]}
    assert needed <= set(runtime)
    assert all(hashes for _version, hashes in runtime.values())
    assert {name: pin[0] for name, pin in runtime.items()} == {name: full[name][0] for name in runtime}
    assert "pytest" not in runtime
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements-runtime.lock" in dockerfile
    assert "pip install --no-deps" in dockerfile
