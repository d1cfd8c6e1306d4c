"""The shipped rules and Alertmanager configuration, checked with promtool, amtool and a real Alertmanager."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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
    """promtool check rules: 36 revenue and 10 pipeline rules."""
    result = run(tool("promtool"), "check", "rules", *RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 10 rules found" in result.stdout and "SUCCESS: 36 rules found" in result.stdout


def test_rule_unit_tests_pass() -> None:
    """promtool test rules on every test file of prometheus/tests (each test group as its own process)."""
    files = ["pipeline-silence.test.yml", "pipeline.test.yml", "revenue-precision.test.yml", "revenue.test.yml"]
    assert [p.name for p in RULE_TESTS] == files
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(PROMETHEUS_DIR / "rules", root / "rules")
        shutil.copytree(PROMETHEUS_DIR / "tests", root / "tests")
        results = _run_groups(root, sorted((root / "tests").glob("*.test.yml")))
    assert len(results) == 1 + 4 + 1 + 4  # the test groups of the four files, every one finished
    failed = [output for _, code, output in results if code != 0]
    assert not failed, failed[0]
    assert all("SUCCESS" in output for _, _, output in results)


# A wrong threshold, window or guard in the rules must make a rule test fail: (rule file, text,
# wrong text, the test group that catches it: "<test file stem>:<group index>").
PRECISION = "revenue-precision.test:0"
MUTATIONS = [
    ("revenue", "customs_department:revenue_pace:ratio3d < 0.5", "customs_department:revenue_pace:ratio3d < 0.3", "revenue.test:2"),
    ("revenue", "customs_department:revenue_pace:ratio7d < 0.8", "customs_department:revenue_pace:ratio7d < 0.35", "revenue.test:0"),
    (
        "revenue",
        'customs_revenue_pace_ratio{level="estimate"}) < 0.95',
        'customs_revenue_pace_ratio{level="estimate"}) < 0.35',
        "revenue.test:0",
    ),
    ("revenue", "customs_national:revenue_pace:ratio7d < 0.8", "customs_national:revenue_pace:ratio7d < 0.6", "revenue.test:0"),
    ("revenue", "revenue_plan_vnd:increase3d >= 5e9", "revenue_plan_vnd:increase3d >= 1e9", "revenue.test:0"),
    ("revenue", "          and customs_department:revenue_window_seen:3d\n", "", "revenue.test:0"),
    ("revenue", "group_right customs_revenue_target_vnd < 0.95", "group_right customs_revenue_target_vnd < 0.6", "revenue.test:3"),
    ("revenue", "customs_revenue_target_vnd > 0.1)", "customs_revenue_target_vnd > 0.01)", "revenue.test:3"),
    ("pipeline", '{stream=~"revenue|declarations"}[18h]', '{stream=~"revenue|declarations"}[12h]', "pipeline-silence.test:0"),
    ("pipeline", "[7d] offset 18h) >= 200", "[7d] offset 18h) >= 100", "pipeline-silence.test:0"),
    ("pipeline", "sum(customs_kpi_consumer_lag_records) > 100000", "sum(customs_kpi_consumer_lag_records) > 200000", "pipeline.test:0"),
    ("pipeline", "[30m])) > 0.05", "[30m])) > 0.1", "pipeline.test:0"),
    ("pipeline", '{stage=~"write|poll"}[2m])) > 0', '{stage=~"write|poll"}[2m])) > 5', "pipeline.test:1"),
    ("pipeline", '{stage=~"write|poll"}[2m]', '{stage=~"write|poll"}[10m]', "pipeline.test:1"),
    # Both ways, x2 and x0.5, each threshold of the department tiers (pinned by revenue.test:4).
    *[
        ("revenue", f"department:revenue_pace:{window} < {threshold}", f"department:revenue_pace:{window} < {moved}", PRECISION)
        for window, threshold in (("ratio3d", "0.5"), ("ratio6h", "0.5"), ("ratio7d", "0.8"), ("ratio1d", "0.8"))
        for moved in (f"{float(threshold) * 2:g}", f"{float(threshold) / 2:g}")
    ],
    ("revenue", "revenue_plan_vnd:increase3d >= 5e9", "revenue_plan_vnd:increase3d >= 2.5e9", PRECISION),
    ("revenue", "revenue_plan_vnd:increase3d >= 5e9", "revenue_plan_vnd:increase3d >= 10e9", PRECISION),
    ("revenue", "revenue_plan_vnd:increase7d >= 5e9", "revenue_plan_vnd:increase7d >= 10e9", PRECISION),
    ("revenue", 'pace_ratio{level="estimate"}) < 0.95', 'pace_ratio{level="estimate"}) < 1.9', PRECISION),
    ("revenue", 'pace_ratio{level="estimate"}) < 0.95', 'pace_ratio{level="estimate"}) < 0.475', PRECISION),
    ("revenue", "and customs_department:revenue_pace:ratio7d < 1\n", "and customs_department:revenue_pace:ratio7d < 2\n", PRECISION),
    ("revenue", "and customs_department:revenue_pace:ratio7d < 1\n", "and customs_department:revenue_pace:ratio7d < 0.5\n", PRECISION),
    ("revenue", '{level="estimate"}) >= 20e9', '{level="estimate"}) >= 10e9', PRECISION),
    ("revenue", '{level="estimate"}) >= 20e9', '{level="estimate"}) >= 40e9', PRECISION),
    ("pipeline", "skipped_total[1h])) > 0", "skipped_total[1h])) > 150", "pipeline.test:2"),
    ("pipeline", "skipped_total[1h])) > 0", "skipped_total[3h])) > 0", "pipeline.test:2"),
    ("pipeline", "stopped) == 1\n        for: 1m", "stopped) == 1\n        for: 0m", "pipeline.test:2"),
    ("pipeline", "stopped) == 1\n        for: 1m", "stopped) == 1\n        for: 5m", "pipeline.test:2"),
]


def test_every_wrong_rule_fails_its_test_group(tmp_path: Path) -> None:
    """Each mutation in its own copy of the rules, run against the test group that must catch it;
    two promtool processes at a time (about 12 s for the slowest group, 45 s in all on two cores)."""
    jobs = []
    for i, (name, old, new, group) in enumerate(MUTATIONS):
        root = tmp_path / f"m{i}"
        shutil.copytree(PROMETHEUS_DIR / "rules", root / "rules")
        shutil.copytree(PROMETHEUS_DIR / "tests", root / "tests")
        path = root / "rules" / f"{name}.rules.yml"
        text = path.read_text()
        assert text.count(old) == 1, f"mutation target {old!r} must occur exactly once"
        path.write_text(text.replace(old, new))
        assert run(tool("promtool"), "check", "rules", path).returncode == 0  # still a valid rule file
        stem, index = group.split(":")
        spec = yaml.safe_load((root / "tests" / f"{stem}.yml").read_text())
        part = root / "tests" / f"{stem}.group{index}.yml"
        part.write_text(yaml.safe_dump({**spec, "tests": [spec["tests"][int(index)]]}))
        jobs.append((new, group, root, part.relative_to(root)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: run(tool("promtool"), "test", "rules", job[3], cwd=job[2]), jobs))
    passed = [f"{group} passed with {new!r}" for (new, group, _, _), result in zip(jobs, results, strict=True) if result.returncode == 0]
    assert not passed, passed
    assert all("FAILED" in result.stdout + result.stderr for result in results)


def _run_groups(root: Path, test_files: list[Path]) -> list[tuple[str, int, str]]:
    """Run each test group of the files as its own promtool process, all at once: the same tests as
    `promtool test rules` on the files, in about half the time on two cores. Returns (group file,
    exit code, output) of each group."""
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
