"""Assemble the broker's jars from Maven Central into a cache folder (once; later runs reuse it)."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from streams.errors import BrokerError
from streams.kafka import KAFKA_VERSION


def broker_libs(cache_dir: Path | None = None) -> Path:
    """The folder of broker jars in cache_dir (default ~/.cache/customs-kpi; the CLI passes
    CUSTOMS_KPI_CACHE_DIR or $XDG_CACHE_HOME/customs-kpi when set), downloading them with Maven on first use."""
    folder = (cache_dir or Path.home() / ".cache" / "customs-kpi") / f"kafka-{KAFKA_VERSION}"
    libs = folder / "libs"
    done = folder / ".complete"
    if done.exists():
        return libs
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two launchers at once download once
        if done.exists():
            return libs
        if shutil.which("mvn") is None:
            raise BrokerError(
                "Maven (mvn) is needed once to fetch the Kafka broker's jars from Maven Central; install it (apt-get install maven)"
            )
        pom = folder / "pom.xml"
        pom.write_text(resources.files("streams.kafka").joinpath("pom.xml").read_text("utf-8"))
        log = folder / "maven.log"
        with open(log, "w") as out:
            result = subprocess.run(
                ["mvn", "-B", "-q", "-f", str(pom), "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={libs}"],
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0 or not any(libs.glob("kafka_2.13-*.jar")):
            raise BrokerError(f"Maven could not fetch the Kafka {KAFKA_VERSION} jars (exit {result.returncode})", str(log))
        done.write_text(KAFKA_VERSION)
    return libs
