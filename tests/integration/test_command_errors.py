"""Every command that cannot do its job says why in one line on standard error, exits non-zero, and soon.

Each runs as a process against no broker and no PostgreSQL (free ports where nothing listens), against a
real database but no broker, against a real broker with no topics under its prefix, with bad arguments
and with bad files.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from ports import free_port

from lifecycle.samples import build_sample
from lifecycle.settings import Settings

BOUND_S = 40.0


@dataclass(frozen=True)
class Outcome:
    """What one command did: its arguments, exit code, standard error and how long it took."""

    args: tuple[str, ...]
    code: int
    stderr: str
    seconds: float

    def problem(self, expected: str) -> str | None:
        """Why this outcome is not one clear line naming `expected`, or None when it is."""
        lines = self.stderr.splitlines()
        if self.code == 0:
            return "exit code 0"
        if "Traceback" in self.stderr or len(lines) != 1:
            return f"{len(lines)} lines on standard error: {self.stderr[-600:]!r}"
        if expected not in lines[0]:
            return f"{lines[0]!r} does not say {expected!r}"
        if self.seconds > BOUND_S:
            return f"took {self.seconds:.0f} s"
        return None


def run_command(env: Mapping[str, str], args: tuple[str, ...]) -> Outcome:
    started = time.monotonic()
    command = [sys.executable, "-m", "lifecycle.cli", *args]
    done = subprocess.run(
        command, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False
    )
    return Outcome(args, done.returncode, done.stderr, time.monotonic() - started)


def check_all(env: Mapping[str, str], cases: list[tuple[tuple[str, ...], str]]) -> None:
    """Run the commands side by side (most of them wait on a network timeout); fail naming every bad one."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda case: run_command(env, case[0]), cases))
    problems = {
        " ".join(outcome.args): problem
        for outcome, (_, expected) in zip(outcomes, cases, strict=True)
        if (problem := outcome.problem(expected)) is not None
    }
    assert problems == {}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Good events, events all rejected, bytes that are not text, a folder, a file that does not exist."""
    paths = {name: tmp_path / name for name in ("events.jsonl", "rejected.jsonl", "binary.jsonl", "missing.jsonl")}
    paths["events.jsonl"].write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in build_sample()[:5]))
    paths["rejected.jsonl"].write_text('{"type": "purchase"}\nnot JSON\n')
    paths["binary.jsonl"].write_bytes(b"\xff\xfe\x00\x01" * 64)
    return {**{name: str(path) for name, path in paths.items()}, "folder": str(tmp_path)}


@pytest.fixture
def migrated_env(lifecycle_env: dict[str, str]) -> dict[str, str]:
    """This test's environment (real broker, no topics under its prefix), its database migrated."""
    from consumers.db import migrate

    migrate(Settings.from_env(lifecycle_env))
    return {**lifecycle_env, "LIFECYCLE_METRICS_PORT": "0", "LIFECYCLE_SMTP_HOST": ""}


def test_without_a_broker_or_a_database(migrated_env: dict[str, str], files: dict[str, str]) -> None:
    env = {
        **migrated_env,
        "LIFECYCLE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "LIFECYCLE_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/lifecycle",
    }
    broker, database = "no Kafka broker answers at", "cannot connect to PostgreSQL"
    check_all(
        env,
        [
            (("topics",), broker),
            (("topics", "--check"), broker),
            (("emit", files["events.jsonl"]), broker),
            (("redrive",), broker),
            (("redrive", "--dry-run"), broker),
            (("worker",), broker),
            (("store",), broker),
            (("dashboard",), broker),
            (("scheduler",), broker),
            (("scheduler", "--once"), broker),
            (("scheduler", "--once", "--dry-run"), database),
            (("notifier",), "PostgreSQL"),
            (("db", "status"), database),
            (("db", "migrate"), database),
            (("bench", "processor"), broker),
            (("up", "--external", "--rate", "0", "--no-samples"), "`lifecycle topics` failed"),
        ],
    )


def test_without_a_broker_but_with_a_database(migrated_env: dict[str, str]) -> None:
    env = {**migrated_env, "LIFECYCLE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"}
    broker = "no Kafka broker answers at"
    check_all(env, [(("store",), broker), (("notifier",), broker), (("scheduler", "--once"), broker)])


def test_with_no_topics_under_the_prefix(migrated_env: dict[str, str], files: dict[str, str]) -> None:
    prefix = migrated_env["LIFECYCLE_TOPIC_PREFIX"]
    missing = f"exist; create them with `lifecycle topics` (or check LIFECYCLE_TOPIC_PREFIX={prefix})"
    check_all(
        migrated_env,
        [
            (("worker",), f"topics {prefix}.purchases, "),
            (
                ("store",),
                f"topics {prefix}.entitlements, {prefix}.releases, {prefix}.holds, {prefix}.deadletter do not",
            ),
            (("notifier",), f"topics {prefix}.notices, {prefix}.deadletter do not {missing}"),
            (("scheduler",), f"topic {prefix}.ticks does not exist; create it with `lifecycle topics`"),
            (("scheduler", "--once"), f"topic {prefix}.ticks does not exist"),
            (("dashboard",), missing),
            (("redrive",), f"topic {prefix}.deadletter does not exist"),
            (("emit", files["events.jsonl"]), missing),
        ],
    )


def test_bad_arguments_and_bad_files(migrated_env: dict[str, str], files: dict[str, str]) -> None:
    check_all(
        migrated_env,
        [
            (("replay", files["events.jsonl"], "--as-of", "yesterday"), "argument --as-of: 'yesterday' is not an RFC"),
            (("scheduler", "--once", "--as-of", "yesterday"), "argument --as-of: 'yesterday' is not an RFC"),
            (("scheduler", "--as-of", "2024-05-01T00:00:00Z"), "--as-of, --since and --dry-run need --once"),
            (("emit",), "the following arguments are required: FILE"),
            (("db", "upgrade"), "argument action: invalid choice: 'upgrade'"),
            (("store", "--batch-size", "-1"), "argument --batch-size: '-1' is not a whole number"),
            (("samples", "--synthetic", "0"), "argument --synthetic: '0' is not a whole number"),
            (("nosuch",), "argument COMMAND: invalid choice: 'nosuch'"),
            (("replay", files["missing.jsonl"]), "cannot read"),
            (("replay", files["folder"]), "Is a directory"),
            (("replay", files["binary.jsonl"]), "is not UTF-8 text"),
            (("replay", files["rejected.jsonl"]), "no event was accepted: 2 rejected"),
            (("emit", files["missing.jsonl"]), "cannot read"),
            (("samples", "--out", f"{files['folder']}/no/such/folder/x.jsonl"), "cannot write"),
            (("notifier", "--templates", files["folder"]), "no notice templates in"),
        ],
    )


def test_emit_of_a_file_that_is_not_text(
    topics: Settings, lifecycle_env: dict[str, str], files: dict[str, str]
) -> None:
    # A line that is not UTF-8 is refused with its number, like any other bad line (exit 1).
    check_all(lifecycle_env, [(("emit", files["binary.jsonl"]), "line 1: not UTF-8 text (invalid start byte")])
