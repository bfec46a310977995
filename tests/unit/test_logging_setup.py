"""Every command logs through one setup: redacted lines, quiet libraries, no faust group metadata dumps."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import lifecycle.dashboard.kafka_view  # noqa: F401 - installs the filter on kafka-python's group logger

CANARY = "pwcanary-3e9b1f"
COMMAND = f"""
import logging, sys, types
from lifecycle import cli
command = types.ModuleType("probe")
command.add_arguments = lambda parser: None
def run(args):
    logging.getLogger("lifecycle.probe").warning("connecting to postgresql://app:{CANARY}@db/x with {CANARY}")
    logging.getLogger("lifecycle.probe").info("an info line")
    logging.getLogger("kafka.net.manager").info("kafka chatter")
    return 0
command.run = run
cli.SUBCOMMANDS["probe"] = (lambda: command, "a probe")
sys.exit(cli.main(["probe"]))
"""


def test_a_command_s_log_lines_are_redacted_and_library_chatter_is_quiet() -> None:
    env = {"LIFECYCLE_KAFKA_SASL_PASSWORD": CANARY, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", COMMAND], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].endswith("WARNING lifecycle.probe: connecting to postgresql://app:***@db/x with ***")
    assert lines[1].endswith("INFO lifecycle.probe: an info line")
    assert CANARY not in done.stdout + done.stderr


def test_faust_group_metadata_warnings_are_dropped_and_others_kept(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("kafka.admin._groups")
    with caplog.at_level(logging.WARNING, logger="kafka.admin._groups"):
        logger.warning("Unable to decode member_metadata for DescribedGroup(group_id='p.worker', members=[b'\\x00'])")
        logger.warning("Unable to decode member_assignment for g/m")

    assert [record.getMessage() for record in caplog.records] == ["Unable to decode member_assignment for g/m"]
