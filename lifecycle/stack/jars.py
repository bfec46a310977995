"""The broker's jars: fetched by Maven from deploy/kafka/pom.xml into a folder, once per version of the pom."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from lifecycle.errors import UserError

POM = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "pom.xml"
STAMP = ".pom-sha256"
Say = Callable[[str], None]


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def fetch_jars(jars: Path, say: Say) -> None:
    """Copy the broker's jars from Maven (Central or the local repository) unless they match the pom already."""
    digest = _pom_digest()
    if (jars / STAMP).is_file() and (jars / STAMP).read_text().strip() == digest:
        say(f"kafka: jars ready in {jars}")
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise UserError("mvn not found: install Maven (apt-get install -y maven) to fetch the Kafka jars")
    staging = jars.with_name(jars.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    say(f"kafka: fetching the broker's jars with Maven ({POM}) into {jars}")
    command = [mvn, "-B", "-f", str(POM), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"]
    started = time.monotonic()
    output: list[str] = []
    downloads = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line.rstrip())
            if "Downloaded from" in line:
                downloads += 1
                if downloads % 100 == 0:
                    say(f"kafka: {downloads} artifacts downloaded")
    if process.returncode != 0:
        raise UserError("Maven could not fetch the Kafka jars:\n" + "\n".join(output[-25:]))
    shutil.rmtree(jars, ignore_errors=True)
    staging.rename(jars)
    (jars / STAMP).write_text(digest + "\n")
    size = sum(jar.stat().st_size for jar in jars.glob("*.jar")) / 1e6
    count = len(list(jars.glob("*.jar")))
    elapsed = time.monotonic() - started
    say(f"kafka: {count} jars ({size:.0f} MB) in {elapsed:.1f}s, {downloads} artifacts downloaded by Maven")
