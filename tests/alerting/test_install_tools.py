"""scripts/install-tools.sh stops what its installation started, and nothing a user ran before it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.support.monitoring import tool
from tests.support.services import ROOT, free_port

# What the script runs besides the package tools; promtool is left out, so Prometheus is "missing".
SHELL_TOOLS = ["bash", "ls", "id", "readlink", "tr", "basename", "dirname", "cat", "sleep", "nohup", "pkill", "pgrep", "kill"]


def _prometheus(tmp: Path, name: str, port: int) -> list[str]:
    (tmp / f"{name}.yml").write_text("global:\n  scrape_interval: 1m\n")
    return [
        "/usr/bin/prometheus",
        f"--config.file={tmp / f'{name}.yml'}",
        f"--storage.tsdb.path={tmp / name}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]


def _running(pid: int) -> bool:
    """Alive and not a zombie (the stand-in's child is nobody's to reap once it is killed)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_installing_stops_only_the_servers_the_installation_started(tmp_path: Path) -> None:
    """A partly missing set of packages: apt-get (here a stand-in) installs Prometheus and, as Debian's
    package does, starts it. The script stops that one; the Prometheus the user ran before goes on."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in [*SHELL_TOOLS, "amtool", "chromium", "pdftotext"]:
        (bin_dir / name).symlink_to(shutil.which(name) or tool(name))
    started = tmp_path / "package.pid"
    package = " ".join(_prometheus(tmp_path, "package", free_port()))
    (bin_dir / "apt-get").write_text(
        "#!/bin/bash\n"
        f'[ "$1" = install ] || exit 0\n'
        f"ln -s {tool('promtool')} {bin_dir}/promtool\n"
        f"nohup {package} >{tmp_path}/package.log 2>&1 &\n"
        f"echo $! > {started}\n"
        "sleep 1\n"  # the service is up before the installation returns
    )
    (bin_dir / "apt-get").chmod(0o755)
    users = subprocess.Popen(_prometheus(tmp_path, "users", free_port()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "install-tools.sh")],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PATH": str(bin_dir)},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout == "installing prometheus from Debian's packages\n"
        pid = int(started.read_text())
        deadline = time.monotonic() + 30
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _running(pid), "the Prometheus the installation started still runs"
        assert users.poll() is None, "the user's own Prometheus was stopped"
    finally:
        users.terminate()
        users.wait(30)
