"""Produce with kcat (librdkafka): a foreign Kafka client, with its own default partitioner (CRC32)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

import pytest

from lifecycle.settings import Settings


def require_kcat() -> str:
    """kcat's path; fails (no skip) when it is missing: `make test-deps` installs it."""
    path = shutil.which("kcat")
    if path is None:
        pytest.fail("kcat is not installed: run `make test-deps` (Debian package kcat)", pytrace=False)
    return path


def kcat_produce(settings: Settings, suffix: str, records: Sequence[tuple[bytes, bytes]], *options: str) -> None:
    """Produce keyed records with `kcat -P` (one `key<TAB>value` line each), with its default partitioner
    unless `options` set one."""
    lines = b"".join(key + b"\t" + value + b"\n" for key, value in records)
    bootstrap = ",".join(settings.kafka_bootstrap)
    command = [require_kcat(), "-P", "-b", bootstrap, "-t", settings.topic(suffix), "-K", "\t", *options]
    subprocess.run(command, input=lines, check=True, timeout=60, capture_output=True)
