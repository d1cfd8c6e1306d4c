"""The shipped rules and Alertmanager configuration, checked with promtool, amtool and a real Alertmanager."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import free_port
from tests.monitoring import PROMETHEUS_DIR, Alertmanager, alertmanager_config, tool

RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
AM_CONFIG = PROMETHEUS_DIR / "alertmanager" / "alertmanager.yml"


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_rule_files_are_valid() -> None:
    """promtool check rules: 36 revenue and 8 pipeline rules."""
    result = run(tool("promtool"), "check", "rules", *RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout and "SUCCESS: 36 rules found" in result.stdout


def test_rule_unit_tests_pass() -> None:
    """promtool test rules on every test file of prometheus/tests (each test group as its own process)."""
    assert [p.name for p in RULE_TESTS] == ["pipeline-silence.test.yml", "pipeline.test.yml", "revenue.test.yml"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(PROMETHEUS_DIR / "rules", root / "rules")
        shutil.copytree(PROMETHEUS_DIR / "tests", root / "tests")
        results = _run_groups(root, sorted((root / "tests").glob("*.test.yml")), stop_at_failure=False)
    assert len(results) == 1 + 3 + 4  # the test groups of the three files, every one finished
    failed = [output for _, code, output in results if code != 0]
    assert not failed, failed[0]
    assert all("SUCCESS" in output for _, _, output in results)


# A wrong threshold, window or guard in the rules must make a rule test fail.
MUTATIONS = [
    ("revenue", "customs_department:revenue_pace:ratio3d < 0.5", "customs_department:revenue_pace:ratio3d < 0.3"),
    ("revenue", "customs_department:revenue_pace:ratio7d < 0.8", "customs_department:revenue_pace:ratio7d < 0.35"),
    ("revenue", 'customs_revenue_pace_ratio{level="estimate"}) < 0.95', 'customs_revenue_pace_ratio{level="estimate"}) < 0.35'),
    ("revenue", "customs_national:revenue_pace:ratio7d < 0.8", "customs_national:revenue_pace:ratio7d < 0.6"),
    ("revenue", "revenue_plan_vnd:increase3d >= 5e9", "revenue_plan_vnd:increase3d >= 1e9"),
    ("revenue", "          and customs_department:revenue_window_seen:3d\n", ""),
    ("revenue", "group_right customs_revenue_target_vnd < 0.95", "group_right customs_revenue_target_vnd < 0.6"),
    ("revenue", "customs_revenue_target_vnd > 0.1)", "customs_revenue_target_vnd > 0.01)"),
    ("pipeline", '{stream=~"revenue|declarations"}[18h]', '{stream=~"revenue|declarations"}[12h]'),
    ("pipeline", "[7d] offset 18h) >= 200", "[7d] offset 18h) >= 100"),
    ("pipeline", "sum(customs_kpi_consumer_lag_records) > 100000", "sum(customs_kpi_consumer_lag_records) > 200000"),
    ("pipeline", "[30m])) > 0.05", "[30m])) > 0.1"),
    ("pipeline", '{stage=~"write|poll"}[2m])) > 0', '{stage=~"write|poll"}[2m])) > 5'),
    ("pipeline", '{stage=~"write|poll"}[2m]', '{stage=~"write|poll"}[10m]'),
]


@pytest.mark.parametrize(("name", "old", "new"), MUTATIONS, ids=[f"{m[0]}:{m[2].strip()[-40:]}" for m in MUTATIONS])
def test_a_wrong_rule_fails_its_tests(tmp_path: Path, name: str, old: str, new: str) -> None:
    shutil.copytree(PROMETHEUS_DIR / "rules", tmp_path / "rules")
    shutil.copytree(PROMETHEUS_DIR / "tests", tmp_path / "tests")
    path = tmp_path / "rules" / f"{name}.rules.yml"
    text = path.read_text()
    assert text.count(old) == 1, f"mutation target {old!r} must occur exactly once"
    path.write_text(text.replace(old, new))
    assert run(tool("promtool"), "check", "rules", path).returncode == 0  # still a valid rule file
    tests = sorted((tmp_path / "tests").glob(f"{name}*.test.yml"))  # pipeline.test.yml and pipeline-silence.test.yml
    failed = [output for _, code, output in _run_groups(tmp_path, tests, stop_at_failure=True) if code != 0]
    assert failed, f"promtool test rules passed with {new!r} in place of {old!r}"
    assert "FAILED" in failed[0]


def _run_groups(root: Path, test_files: list[Path], stop_at_failure: bool) -> list[tuple[str, int, str]]:
    """Run each test group of the files as its own promtool process, all at once: the same tests as
    `promtool test rules` on the files, in about half the time on two cores. Returns (group file,
    exit code, output) of each group that finished; with stop_at_failure, the others are stopped at
    the first failure."""
    processes = {}
    for test_file in test_files:
        spec = yaml.safe_load(test_file.read_text())
        for i, group in enumerate(spec["tests"]):
            part = test_file.with_name(f"{test_file.stem}.group{i}.yml")
            part.write_text(yaml.safe_dump({**spec, "tests": [group]}))
            processes[part.name] = subprocess.Popen(
                [tool("promtool"), "test", "rules", str(part.relative_to(root))],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
    finished: list[tuple[str, int, str]] = []
    try:
        deadline = time.monotonic() + 120
        while processes and time.monotonic() < deadline:
            for name, process in list(processes.items()):
                if process.poll() is None:
                    continue
                del processes[name]
                finished.append((name, process.returncode, process.stdout.read() if process.stdout else ""))
                if process.returncode != 0 and stop_at_failure:
                    return finished
            time.sleep(0.05)
        assert not processes, f"promtool did not finish within 120 s: {sorted(processes)}"
        return finished
    finally:
        for process in processes.values():
            process.kill()
            process.wait()


def test_alertmanager_config_is_valid() -> None:
    result = run(tool("amtool"), "check-config", AM_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Found:\n - global config\n - route\n - 4 inhibit rules\n - 5 receivers" in result.stdout


ROUTES = [
    ({"alertname": "CustomsKpiWatchdog", "severity": "none"}, "watchdog"),
    ({"alertname": "CustomsRevenueBehindPaceCritical", "severity": "critical", "department": "03"}, "page"),
    ({"alertname": "CustomsKpiExporterDown", "severity": "critical"}, "page"),
    ({"alertname": "CustomsRevenueBehindPaceWarning", "severity": "warning", "department": "03"}, "chat"),
    ({"alertname": "CustomsDataSilence", "severity": "warning", "department": "03", "stream": "revenue"}, "chat"),
    ({"alertname": "CustomsRevenueBehindPaceTicket", "severity": "ticket", "department": "03"}, "ticket"),
    ({"alertname": "CustomsRevenueProjectionBelowTarget", "severity": "ticket", "department": "15", "level": "assigned"}, "ticket"),
    ({"alertname": "SomethingElse", "severity": "info"}, "catch-all"),
    ({"alertname": "NoSeverity"}, "catch-all"),
]


@pytest.mark.parametrize(("labels", "receiver"), ROUTES, ids=[r[1] + ":" + r[0]["alertname"] for r in ROUTES])
def test_routing(labels: dict[str, str], receiver: str) -> None:
    result = run(tool("amtool"), "config", "routes", "test", f"--config.file={AM_CONFIG}", *(f"{k}={v}" for k, v in labels.items()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def _alert(name: str, **labels: str) -> dict[str, object]:
    return {"labels": {"alertname": name, **labels}, "annotations": {"summary": name}}


def _settle(read, done, timeout: float = 20):  # type: ignore[no-untyped-def]
    """Poll read() until done(value) or the timeout; returns the last value for the assertion."""
    deadline = time.monotonic() + timeout
    while not done(value := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def _states(am: Alertmanager) -> dict[tuple[str, str | None], tuple[str, int]]:
    return {
        (a["labels"]["alertname"], a["labels"].get("department")): (a["status"]["state"], len(a["status"]["inhibitedBy"]))
        for a in am.alerts()
    }


def test_inhibitions_on_a_real_alertmanager(tmp_path: Path) -> None:
    """Silence holds back its own department's pace alerts only; a higher tier holds back lower ones; a dead exporter the rest."""
    config = alertmanager_config(tmp_path / "am.yml", 9, group_wait="1s")
    am = Alertmanager(config, tmp_path, free_port())
    try:
        am.post(
            [
                _alert("CustomsDataSilence", severity="warning", department="01", stream="revenue"),
                _alert("CustomsRevenueBehindPaceCritical", severity="critical", tier="critical", department="01"),
                _alert("CustomsRevenueBehindPaceCritical", severity="critical", tier="critical", department="03"),
                _alert("CustomsRevenueBehindPaceWarning", severity="warning", tier="warning", department="03"),
                _alert("CustomsRevenueBehindPaceTicket", severity="ticket", tier="ticket", department="03"),
                _alert("CustomsRevenueBehindPaceTicket", severity="ticket", tier="ticket", department="02"),
                _alert("CustomsNationalRevenueBehindPaceWarning", severity="warning", tier="warning", department="national"),
                _alert("CustomsNationalRevenueBehindPaceTicket", severity="ticket", tier="ticket", department="national"),
                _alert("CustomsRevenueProjectionBelowTarget", severity="ticket", department="03", level="estimate"),
            ]
        )
        state = _settle(lambda: _states(am), lambda st: len(st) == 9 and all(s != "unprocessed" for s, _ in st.values()))
        assert state == {
            ("CustomsDataSilence", "01"): ("active", 0),
            ("CustomsRevenueBehindPaceCritical", "01"): ("suppressed", 1),  # silence explains it
            ("CustomsRevenueBehindPaceCritical", "03"): ("active", 0),  # another department's silence does not
            ("CustomsRevenueBehindPaceWarning", "03"): ("suppressed", 1),
            ("CustomsRevenueBehindPaceTicket", "03"): ("suppressed", 1),  # by critical (and warning)
            ("CustomsRevenueBehindPaceTicket", "02"): ("active", 0),
            ("CustomsNationalRevenueBehindPaceWarning", "national"): ("active", 0),
            ("CustomsNationalRevenueBehindPaceTicket", "national"): ("suppressed", 1),
            ("CustomsRevenueProjectionBelowTarget", "03"): ("active", 0),
        }
        am.post([_alert("CustomsKpiExporterDown", severity="critical", instance="127.0.0.1:9464")])
        active = _settle(
            lambda: sorted(a["labels"]["alertname"] for a in am.alerts() if a["status"]["state"] == "active"),
            lambda names: names == ["CustomsKpiExporterDown"],
        )
        assert active == ["CustomsKpiExporterDown"]
    finally:
        am.stop()
