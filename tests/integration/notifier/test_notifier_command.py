"""`lifecycle notifier` as a process: writes the outbox without an SMTP host and stops cleanly on SIGTERM."""

from __future__ import annotations

import email
import email.policy
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notifier_helpers import business_notice, wait_until

from lifecycle.settings import Settings


def test_the_command_delivers_to_the_outbox_and_stops_on_sigterm(
    migrated: Settings, lifecycle_env: dict[str, str], produce_notice: Callable[[dict[str, Any]], None]
) -> None:
    env = {**lifecycle_env, "LIFECYCLE_SMTP_HOST": "", "LIFECYCLE_METRICS_PORT": "0"}
    notice = business_notice("ppi_added", credits_added=1, ppi_credits=1)
    notice["due_on"] = datetime.now(UTC).date().isoformat()  # the process reads the wall clock: keep it fresh
    outbox = Path(env["LIFECYCLE_HOME"]) / "outbox"
    process = subprocess.Popen(
        [sys.executable, "-m", "lifecycle.cli", "notifier"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        produce_notice(notice)
        (path,) = wait_until(lambda: list(outbox.glob("*.eml")), "an .eml file in the outbox")
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)

    assert process.returncode == 0, output.decode()
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("Pay Per Incident support added to Acronis Backup Advanced")
    assert b"no SMTP host: writing .eml files to" in output


def test_the_command_explains_an_unmigrated_database_in_one_line(lifecycle_env: dict[str, str]) -> None:
    env = {**lifecycle_env, "LIFECYCLE_METRICS_PORT": "0"}

    result = subprocess.run(
        [sys.executable, "-m", "lifecycle.cli", "notifier"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "lifecycle notifier: the delivery_ledger table does not exist: run `lifecycle db migrate` first"
    )
    assert "Traceback" not in result.stderr
