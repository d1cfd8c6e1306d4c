"""The shipped rules and Alertmanager configuration, checked with promtool, amtool and a real Alertmanager."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.monitoring import PROMETHEUS_DIR, Alertmanager, alertmanager_config, tool
from tests.support.mutants import Batch, Mutant, caught, write_batch
from tests.support.services import free_port

RULES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
AM_CONFIG = PROMETHEUS_DIR / "alertmanager" / "alertmanager.yml"


# promtool on one thread and with a lazier garbage collector: the suite runs its groups side by side
# on every core anyway, and each run then costs about a fifth less CPU (P1 of revenue-precision:
# 4.6 -> 3.4 CPU-seconds; revenue.test group 0: 9.2 -> 8.1; at most about 250 MB each).
GO_ENV = {**os.environ, "GOMAXPROCS": "1", "GOGC": "400"}


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=300, env=GO_ENV)


def test_rule_files_are_valid() -> None:
    """promtool check rules: 36 revenue, 7 summary and 17 pipeline rules."""
    result = run(tool("promtool"), "check", "rules", *RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 17 rules found" in result.stdout and "SUCCESS: 36 rules found" in result.stdout
    assert "SUCCESS: 7 rules found" in result.stdout


def test_rule_unit_tests_pass(mutant_runs: MutantRuns) -> None:
    """promtool test rules on every test group of prometheus/tests. The groups that catch mutants ran
    in the mutants' batches (their own assertions on the shipped rules, beside the suffixed copies:
    every copy is caught and no original assertion fails); the others each run alone here."""
    files = [
        "pipeline-silence.test.yml",
        "pipeline.test.yml",
        "replicas-pipeline.test.yml",
        "replicas.test.yml",
        "revenue-precision.test.yml",
        "revenue-summary.test.yml",
        "revenue.test.yml",
    ]
    assert [p.name for p in RULE_TESTS] == files
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(PROMETHEUS_DIR / "rules", root / "rules")
        shutil.copytree(PROMETHEUS_DIR / "tests", root / "tests")
        results = _run_groups(root, sorted((root / "tests").glob("*.test.yml")), skip=set(mutant_runs.batches))
    assert len(results) + len(mutant_runs.batches) == 1 + 6 + 1 + 1 + 10 + 1 + 5  # the test groups of the seven files, every one finished
    failed = [output for _, code, output in results if code != 0]
    assert not failed, failed[0]
    assert all("SUCCESS" in output for _, _, output in results)
    for group, (batch, result) in mutant_runs.batches.items():
        found = caught(result.stdout + result.stderr)
        assert None not in found, f"{group} fails on the shipped rules: {found[None]}"
        assert set(found) == set(batch.renamed), f"{group}'s batch did not evaluate every mutant (see the mutation test)"


# A wrong threshold, window, guard or wait in the rules must make a rule test fail. Each is moved
# both ways (x2 and x0.5) and run against the one test group that must catch it, named
# "<test file stem>:<group index>". A window ([3d], offset 7d) is moved everywhere it occurs.
Mutation = tuple[str, str, str, str, bool]  # rule file stem, text, wrong text, test group, everywhere


def _moves(rules: str, text: str, value: str, up: str, down: str) -> list[Mutation]:
    """The threshold `value` in `text` doubled (caught by group `up`) and halved (group `down`)."""
    assert text.count(value) == 1, text
    return [
        (rules, text, text.replace(value, f"{float(value) * 2:g}"), up, False),
        (rules, text, text.replace(value, f"{float(value) / 2:g}"), down, False),
    ]


def _windows(rules: str, old: str, longer: str, shorter: str, up: str, down: str) -> list[Mutation]:
    return [(rules, old, longer, up, True), (rules, old, shorter, down, True)]


def _waits(rules: str, alert: str, wait: str, longer: str, shorter: str, up: str, down: str) -> list[Mutation]:
    """The alert's `for:` doubled and halved (the rule text from the alert's name to its wait)."""
    text = RULE_TEXT[rules]
    start = text.index(f"- alert: {alert}\n")
    old = text[start : text.index(f"for: {wait}\n", start) + len(f"for: {wait}\n")]
    return [
        (rules, old, old.replace(f"for: {wait}\n", f"for: {longer}\n"), up, False),
        (rules, old, old.replace(f"for: {wait}\n", f"for: {shorter}\n"), down, False),
    ]


RULE_TEXT = {path.name.split(".")[0]: path.read_text() for path in RULES}
P = [f"revenue-precision.test:{i}" for i in range(10)]
SILENCE = "pipeline-silence.test:0"
STREAMS = '{stream=~"revenue|declarations"}'
PAGE = "revenue.test:4"
LAKE = "pipeline.test:5"
PAIR = "replicas.test:0"
PAIR_ALERTS = "replicas-pipeline.test:0"
MERGE = "max without(instance, replica) ("
ESTIMATE = '{level="estimate"}'
LEAST_LAG = "min(sum by (instance) (customs_kpi_consumer_lag_records))"
MUTATIONS: list[Mutation] = [
    # Departments: each tier's thresholds and volume guards (revenue-precision groups 0 and 1).
    *_moves("revenue", "customs_department:revenue_pace:ratio3d < 0.5", "0.5", P[0], P[0]),
    *_moves("revenue", "customs_department:revenue_pace:ratio6h < 0.5", "0.5", P[0], P[0]),
    *_moves("revenue", "customs_department:revenue_pace:ratio7d < 0.8", "0.8", P[1], P[1]),
    *_moves("revenue", "customs_department:revenue_pace:ratio1d < 0.8", "0.8", P[1], P[1]),
    *_moves("revenue", "customs_department:revenue_plan_vnd:increase3d >= 5e9", "5e9", P[0], P[0]),
    *_moves("revenue", "customs_department:revenue_plan_vnd:increase7d >= 5e9", "5e9", P[1], P[1]),
    *_moves("revenue", 'customs_revenue_pace_ratio{level="estimate"}) < 0.95', "0.95", P[1], P[1]),
    *_moves("revenue", "and customs_department:revenue_pace:ratio7d < 1\n", "1", P[1], P[1]),
    *_moves("revenue", 'customs_revenue_plan_to_date_vnd{level="estimate"}) >= 20e9', "20e9", P[1], P[1]),
    ("revenue", "          and customs_department:revenue_window_seen:3d\n", "", P[2], False),
    # The nation (groups 2 to 8).
    *_moves("revenue", "customs_national:revenue_pace:ratio3d < 0.5", "0.5", P[3], P[2]),
    *_moves("revenue", "customs_national:revenue_pace:ratio6h < 0.5", "0.5", P[4], P[2]),
    *_moves("revenue", "customs_national:revenue_pace:ratio7d < 0.8", "0.8", P[5], P[2]),
    *_moves("revenue", "customs_national:revenue_pace:ratio1d < 0.8", "0.8", P[6], P[2]),
    *_moves("revenue", 'customs_revenue_national_pace_ratio{level="estimate"}) < 0.95', "0.95", P[7], P[2]),
    *_moves("revenue", "and on() customs_national:revenue_pace:ratio7d < 1", "1", P[8], P[5]),
    # Projections (group 9).
    *_moves("revenue", "group_right max without(instance, replica) (customs_revenue_target_vnd) < 0.95", "0.95", P[9], P[9]),
    *_moves(
        "revenue",
        "(customs_revenue_plan_to_date_vnd) / max without(instance, replica) (customs_revenue_target_vnd) > 0.1",
        "0.1",
        P[9],
        P[9],
    ),
    *_moves("revenue", "group_right max without(instance, replica) (customs_revenue_national_target_vnd) < 0.95", "0.95", P[9], P[9]),
    *_moves(
        "revenue",
        "(customs_revenue_national_plan_to_date_vnd) / max without(instance, replica) (customs_revenue_national_target_vnd) > 0.1",
        "0.1",
        P[9],
        P[9],
    ),
    # The count of departments on pace (revenue-summary group 0).
    *_moves(
        "summary",
        "count by (level) (max without(instance, replica) (customs_revenue_pace_ratio) >= 1)",
        "1",
        "revenue-summary.test:0",
        "revenue-summary.test:0",
    ),
    # A replica pair: every raw series merged once, by max (replicas.test group 0).
    ("revenue", MERGE, "sum without(instance, replica) (", PAIR, True),
    # Not merged (each replica's series alone): a sum counts both, a division by another not merged fails to evaluate.
    *[
        ("revenue", f"{MERGE}{series}", f"max without(none) ({series}", PAIR, False)
        for series in (
            "increase(customs_revenue_collected_vnd_total[3d])",
            'delta(customs_revenue_national_plan_to_date_vnd{level="estimate"}[3d])',
        )
    ],
    ("summary", MERGE, "sum without(instance, replica) (", PAIR, True),
    ("summary", f"{MERGE}customs_revenue_pace_ratio) >= 1", "max without(none) (customs_revenue_pace_ratio) >= 1", PAIR, False),
    # Windows, department and nation alike.
    *_windows("revenue", "[6h]", "[12h]", "[3h]", P[0], P[0]),
    *_windows("revenue", "[1d]", "[2d]", "[12h]", P[1], P[1]),
    *_windows("revenue", "[3d]", "[6d]", "[36h]", P[0], P[0]),
    *_windows("revenue", "[7d]", "[14d]", "[84h]", P[1], P[1]),
    *_windows("revenue", "offset 3d", "offset 6d", "offset 36h", P[2], P[2]),
    *_windows("revenue", "offset 7d", "offset 14d", "offset 84h", P[2], P[2]),
    # Waits.
    *_waits("revenue", "CustomsRevenueBehindPaceCritical", "15m", "30m", "450s", P[2], PAGE),
    *_waits("revenue", "CustomsRevenueBehindPaceWarning", "1h", "2h", "30m", P[2], P[2]),
    *_waits("revenue", "CustomsRevenueBehindPaceTicket", "6h", "12h", "3h", P[2], P[2]),
    *_waits("revenue", "CustomsNationalRevenueBehindPaceCritical", "15m", "30m", "450s", P[2], PAGE),
    *_waits("revenue", "CustomsNationalRevenueBehindPaceWarning", "1h", "2h", "30m", P[2], P[2]),
    *_waits("revenue", "CustomsNationalRevenueBehindPaceTicket", "6h", "12h", "3h", P[2], P[2]),
    *_waits("revenue", "CustomsRevenueProjectionBelowTarget", "6h", "12h", "3h", P[9], P[9]),
    *_waits("revenue", "CustomsNationalRevenueProjectionBelowTarget", "6h", "12h", "3h", P[9], P[9]),
    # Pipeline: data silence (its window, its volume guard and the guard's 7 days 18 hours back).
    *_windows("pipeline", f"{STREAMS}[18h]", f"{STREAMS}[36h]", f"{STREAMS}[9h]", SILENCE, SILENCE),
    *_moves("pipeline", "[7d] offset 18h) >= 200", "200", SILENCE, SILENCE),
    *_windows("pipeline", "[7d] offset 18h", "[14d] offset 18h", "[84h] offset 18h", SILENCE, SILENCE),
    *_windows("pipeline", "[7d] offset 18h", "[7d] offset 36h", "[7d] offset 9h", SILENCE, SILENCE),
    *_waits("pipeline", "CustomsDataSilence", "10m", "20m", "5m", SILENCE, SILENCE),
    # Lag, errors, reject ratio, skipped records, stopped partitions, the exporter.
    *_moves(
        "pipeline", "min(sum by (instance) (customs_kpi_consumer_lag_records)) > 100000", "100000", "pipeline.test:0", "pipeline.test:0"
    ),
    ("pipeline", LEAST_LAG, "sum(customs_kpi_consumer_lag_records)", PAIR_ALERTS, False),
    *_waits("pipeline", "CustomsKpiConsumerLagHigh", "10m", "20m", "5m", "pipeline.test:0", "pipeline.test:0"),
    ("pipeline", '{stage=~"write|poll"}[2m])) > 0', '{stage=~"write|poll"}[2m])) > 5', "pipeline.test:1", False),
    *_windows("pipeline", 'poll"}[2m]', 'poll"}[4m]', 'poll"}[1m]', "pipeline.test:1", "pipeline.test:1"),
    *_waits("pipeline", "CustomsKpiConsumerErrors", "5m", "10m", "150s", "pipeline.test:1", "pipeline.test:1"),
    *_moves("pipeline", "[30m])) > 0.05", "0.05", "pipeline.test:4", "pipeline.test:4"),
    *_moves("pipeline", "sum(increase(customs_kpi_records_total[30m])) >= 100", "100", "pipeline.test:4", "pipeline.test:4"),
    *_windows("pipeline", "[30m]", "[60m]", "[15m]", "pipeline.test:4", "pipeline.test:4"),
    *_waits("pipeline", "CustomsKpiRejectRatioHigh", "10m", "20m", "5m", "pipeline.test:4", "pipeline.test:4"),
    ("pipeline", "skipped_total[1h])) > 0", "skipped_total[1h])) > 150", "pipeline.test:2", False),
    ("pipeline", "skipped_total[1h])) > 0", "skipped_total[1h])) > 1", "pipeline.test:2", False),  # one record must page
    ("pipeline", "skipped_total[1h])) > 0", "skipped_total[3h])) > 0", "pipeline.test:2", False),
    *_waits("pipeline", "CustomsKpiPartitionStopped", "1m", "2m", "0m", "pipeline.test:2", "pipeline.test:2"),
    *_waits("pipeline", "CustomsKpiExporterDown", "2m", "4m", "1m", "pipeline.test:0", "pipeline.test:0"),
    # The analysts' lake and the DLQ (pipeline.test group 5).
    ("pipeline", '{stage="lake"}[5m])) > 0', '{stage="lake"}[5m])) > 100', LAKE, False),
    *_windows("pipeline", '{stage="lake"}[5m]', '{stage="lake"}[10m]', '{stage="lake"}[150s]', LAKE, LAKE),
    *_waits("pipeline", "CustomsKpiLakePublishFailing", "15m", "30m", "450s", LAKE, LAKE),
    ("pipeline", '{stage="dlq"}[5m])) > 0', '{stage="dlq"}[5m])) > 100', LAKE, False),
    *_windows("pipeline", '{stage="dlq"}[5m]', '{stage="dlq"}[10m]', '{stage="dlq"}[150s]', LAKE, LAKE),
    *_waits("pipeline", "CustomsKpiDlqFailing", "15m", "30m", "450s", LAKE, LAKE),
    *_moves("pipeline", "(customs_kpi_lake_current_timestamp_seconds) > 900", "900", LAKE, LAKE),
    ("pipeline", "(customs_kpi_lake_current_timestamp_seconds) > 0\n", "(customs_kpi_lake_current_timestamp_seconds) > -1\n", LAKE, False),
    *_waits("pipeline", "CustomsKpiLakeStale", "5m", "10m", "150s", LAKE, LAKE),
    ("pipeline", "(customs_kpi_verify_differences) > 0", "(customs_kpi_verify_differences) > 1", LAKE, False),  # one difference pages
    ("pipeline", "(customs_kpi_verify_differences) > 0", "(customs_kpi_verify_differences) >= 0", LAKE, False),
    *_waits("pipeline", "CustomsKpiExporterAbsent", "5m", "10m", "150s", "pipeline.test:3", "pipeline.test:3"),
    # The pair's own alerts (replicas-pipeline.test group 0).
    ("pipeline", 'sum(customs_kpi_lake_leader{replica!=""}) == 0', 'sum(customs_kpi_lake_leader{replica!=""}) < 2', PAIR_ALERTS, False),
    *_waits("pipeline", "CustomsKpiNoLakeLeader", "2m", "4m", "1m", PAIR_ALERTS, PAIR_ALERTS),
    *_moves("pipeline", '{replica!=""})) > 10000', "10000", PAIR_ALERTS, PAIR_ALERTS),
    *_waits("pipeline", "CustomsKpiReplicaLagging", "15m", "30m", "450s", PAIR_ALERTS, PAIR_ALERTS),
    *_waits("pipeline", "CustomsKpiReplicaDown", "2m", "4m", "1m", PAIR_ALERTS, PAIR_ALERTS),
    ("pipeline", ' unless on() (count(up{job="customs-kpi"} == 1) > 0)', "", PAIR_ALERTS, False),
    ("pipeline", ' == 0 and on() (count(up{job="customs-kpi"} == 1) > 0)', " == 0", PAIR_ALERTS, False),
]


MUTANTS = [Mutant(i, *mutation) for i, mutation in enumerate(MUTATIONS)]
# Groups that take about a tenth of a second alone: each of their mutants also runs alone, and must
# fail there exactly the assertions its copies fail in the batch (the batch's equivalence, shown).
ALONE = {"revenue-summary.test:0", "revenue-precision.test:9", *(f"pipeline.test:{i}" for i in range(6))}


def _alone(mutant: Mutant, root: Path) -> tuple[Path, Path]:
    """The shipped rules with the one mutation, and the group as a test file of its own."""
    shutil.copytree(PROMETHEUS_DIR / "rules", root / "rules")
    shutil.copytree(PROMETHEUS_DIR / "tests", root / "tests")
    path = root / "rules" / f"{mutant.rules}.rules.yml"
    path.write_text(mutant.apply(path.read_text()))
    stem, index = mutant.group.split(":")
    spec = yaml.safe_load((root / "tests" / f"{stem}.yml").read_text())
    part = root / "tests" / f"{stem}.group{index}.yml"
    part.write_text(yaml.safe_dump({**spec, "tests": [spec["tests"][int(index)]]}))
    return root, part.relative_to(root)


@dataclass
class MutantRuns:
    batches: dict[str, tuple[Batch, subprocess.CompletedProcess[str]]]  # test group -> its batch and run
    alone: dict[int, subprocess.CompletedProcess[str]]  # mutant index -> its run alone


@pytest.fixture(scope="module")
def mutant_runs(tmp_path_factory: pytest.TempPathFactory) -> MutantRuns:
    """Every mutant in its group's batch, and the cheap groups' mutants alone too; two promtool
    processes at a time. Every batch's rule files are valid rule files (one promtool check)."""
    tmp = tmp_path_factory.mktemp("mutants")
    groups = sorted({m.group for m in MUTANTS})
    batches = {g: write_batch(PROMETHEUS_DIR / "tests", g, [m for m in MUTANTS if m.group == g], tmp / g) for g in groups}
    rule_files = sorted({p for b in batches.values() for p in (b.root / "rules").glob("*.yml")})
    checked = run(tool("promtool"), "check", "rules", *rule_files)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("SUCCESS") == len(rule_files)
    alone = {m.index: _alone(m, tmp / f"alone{m.index}") for m in MUTANTS if m.group in ALONE}
    jobs = [(b.root, b.test_file) for b in batches.values()] + list(alone.values())
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: run(tool("promtool"), "test", "rules", job[1], cwd=job[0]), jobs))
    return MutantRuns(
        {g: (b, r) for (g, b), r in zip(batches.items(), results, strict=False)},
        dict(zip(alone, results[len(batches) :], strict=True)),
    )


def test_every_wrong_rule_fails_its_test_group(mutant_runs: MutantRuns) -> None:
    """Each mutation must fail an assertion of the test group named for it. The mutants of a group
    run in one promtool process (tests.support.mutants), whose unmutated assertions must all pass;
    the mutants of the cheap groups also run alone and must fail the same assertions there."""
    uncaught, by_group = [], {}
    for group, (batch, result) in mutant_runs.batches.items():
        found = by_group[group] = caught(result.stdout + result.stderr)
        assert None not in found, f"{group}: the unmutated assertions fail in the batch: {found[None]}\n{result.stdout[-3000:]}"
        assert set(found) <= set(batch.renamed) and result.returncode == 1
        uncaught += [f"{group} passed with {m.new!r} for {m.old!r}" for m in MUTANTS if m.group == group and m.index not in found]
    assert not uncaught, uncaught
    assert len(MUTANTS) == 139 and len(mutant_runs.batches) == 21

    for index, result in mutant_runs.alone.items():
        mutant = MUTANTS[index]
        alone = caught(result.stdout + result.stderr)
        assert result.returncode == 1 and set(alone) == {None}, result.stdout[-3000:]
        assert alone[None] == by_group[mutant.group][index], (mutant, alone[None], by_group[mutant.group][index])
    assert len(mutant_runs.alone) == 57


def _run_groups(root: Path, test_files: list[Path], skip: set[str]) -> list[tuple[str, int, str]]:
    """Run each test group of the files (but those named "<file stem>:<index>" in skip) as its own
    promtool process, all at once: the same tests as `promtool test rules` on the files, in about
    half the time on two cores. Returns (group file, exit code, output) of each group."""
    processes = {}
    for test_file in test_files:
        spec = yaml.safe_load(test_file.read_text())
        for i, group in enumerate(spec["tests"]):
            if f"{test_file.stem}:{i}" in skip:
                continue
            part = test_file.with_name(f"{test_file.stem}.group{i}.yml")
            part.write_text(yaml.safe_dump({**spec, "tests": [group]}))
            processes[part.name] = subprocess.Popen(
                [tool("promtool"), "test", "rules", str(part.relative_to(root))],
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=GO_ENV,
            )
    finished: list[tuple[str, int, str]] = []
    try:
        deadline = time.monotonic() + 300  # about 30 s here; ten times that for a busy machine
        while processes and time.monotonic() < deadline:
            for name, process in list(processes.items()):
                if process.poll() is None:
                    continue
                del processes[name]
                finished.append((name, process.returncode, process.stdout.read() if process.stdout else ""))
            time.sleep(0.05)
        assert not processes, f"promtool did not finish within 300 s: {sorted(processes)}"
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
        expected = {
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
        # Alertmanager processes the alerts one by one: an alert can show as active until its inhibitor
        # is processed too. Wait for the expected state; the deadline is only for a real failure.
        assert _settle(lambda: _states(am), lambda st: st == expected, timeout=60) == expected
        am.post([_alert("CustomsKpiExporterDown", severity="critical", instance="127.0.0.1:9464")])
        active = _settle(
            lambda: sorted(a["labels"]["alertname"] for a in am.alerts() if a["status"]["state"] == "active"),
            lambda names: names == ["CustomsKpiExporterDown"],
        )
        assert active == ["CustomsKpiExporterDown"]
    finally:
        am.stop()
