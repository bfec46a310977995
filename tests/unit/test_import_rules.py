"""The import directions between the packages hold (`lint-imports`, the contracts in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
# The I/O the rules core must never reach, directly or through another module.
IO_MODULES = {"kafka", "aiokafka", "faust", "psycopg2", "aiohttp", "smtplib", "socket", "jinja2", "subprocess"}


def lint_imports(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [LINT_IMPORTS, "--no-cache", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_every_import_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONFIG['contracts'])} kept, 0 broken." in result.stdout


def test_the_rules_core_is_forbidden_every_io_library() -> None:
    [pure] = [c for c in CONFIG["contracts"] if c.get("source_modules") == ["lifecycle.rules"]]
    assert pure["type"] == "forbidden"
    assert set(pure["forbidden_modules"]) >= IO_MODULES | {"streams", "consumers"}


def test_the_check_sees_standard_library_imports(tmp_path: Path) -> None:
    """A forbidden contract on a module that does import `socket` breaks: the graph holds the standard library."""
    config = tmp_path / "probe.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["schemas", "lifecycle", "streams", "consumers"]\n'
        "include_external_packages = true\n"
        "[[tool.importlinter.contracts]]\n"
        'name = "probe"\ntype = "forbidden"\n'
        'source_modules = ["streams.bench"]\nforbidden_modules = ["socket"]\n'
    )
    result = lint_imports("--config", str(config))
    assert result.returncode == 1
    assert "streams.bench is not allowed to import socket" in result.stdout
