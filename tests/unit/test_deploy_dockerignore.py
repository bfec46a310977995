"""The image's build context (the repository root) leaves out the local state and keeps what the Dockerfile copies."""

from __future__ import annotations

import re

import pytest
from deploy_files import DEPLOY

from lifecycle.settings import Settings

ROOT = DEPLOY.parent
DEFAULT_HOME = str(Settings.model_fields["home"].default)


def _regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker reads it: `*` and `?` within one name, `**` across names."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^{out}$")


def _rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes, pattern) per line of .dockerignore, in order."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            excludes = not line.startswith("!")
            rules.append((excludes, _regex(line.removeprefix("!").strip("/"))))
    return rules


def ignored(path: str) -> bool:
    """Whether Docker leaves `path` out of the context: the last line matching it or a folder above it decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for excludes, pattern in _rules():
        if any(pattern.match(candidate) for candidate in candidates):
            verdict = excludes
    return verdict


@pytest.mark.parametrize(
    "path",
    [
        f"{DEFAULT_HOME}/postgres/pgpass",  # the local cluster's passwords, the superuser's among them
        f"{DEFAULT_HOME}/ci/postgres/pgpass",  # .ci/run's home
        f"{DEFAULT_HOME}/kafka/data/lifecycle.entitlements-0/00000000000000000000.log",
        f"{DEFAULT_HOME}/outbox/notice.eml",
        f"deploy/{DEFAULT_HOME}/postgres/pgpass",  # a home made by a command run from another folder
        f"lifecycle/{DEFAULT_HOME}/postgres/pgpass",
        ".venv/bin/python",
        "lifecycle/.venv/bin/python",
        "test-artifacts/junit.xml",
        ".git/config",
        "lifecycle/__pycache__/cli.cpython-311.pyc",
    ],
)
def test_local_state_and_secrets_stay_out_of_the_build_context(path: str) -> None:
    assert ignored(path)


def test_everything_the_dockerfile_copies_is_in_the_build_context() -> None:
    sources: list[str] = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith(("COPY ", "ADD ")):
            sources.extend(word for word in line.split()[1:-1] if not word.startswith("--"))
    assert "lifecycle" in sources

    for source in sources:
        assert (ROOT / source).exists(), source
        assert not ignored(source), source
        if (ROOT / source).is_dir():
            module = next(path for path in sorted((ROOT / source).rglob("*")) if "__pycache__" not in path.parts)
            assert not ignored(str(module.relative_to(ROOT))), module
    assert not ignored("deploy/Dockerfile")
