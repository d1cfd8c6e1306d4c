"""A replica pair on the real broker and a real PostgreSQL catalog: two `customs-kpi consume
--replica` processes, each with its own folder, one lake, and Prometheus (real, the shipped rules)
scraping both. The leader is paused past its session timeout (SIGSTOP), then resumed; then killed
with SIGKILL three times while events flow (duplicates and conflicting copies on other partitions,
bad messages among them); the last one killed loses its folder and is restored from the lake. The
paused leader is fenced and steps down; the merged figures neither double nor go blind; the lake
ends with every event once and exactly the rejects one reader of every copy would have made."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaProducer

from tests.support.factories import encode, revenue
from tests.support.monitoring import PROMETHEUS_DIR, Prometheus, dashboard_queries
from tests.support.ports import free_port
from tests.support.postgres import Postgres
from tests.support.services import ROOT, ConsumerProcess, cli, sample, sent, wait_until
from tests.support.timescale import scale_rule_files

PARTITIONS = 6
_GROUPS = itertools.count()


@dataclass
class Flow:
    """Revenue events sent on all partitions from a thread: each event once on its own partition; every
    13th also as an identical copy on another partition, every 17th as a copy with another receipt
    (a conflicting duplicate) on a third, and a bad message every 19th. Each copy's position is
    kept: the oracle of what the lake must hold."""

    bootstrap: str
    sent: list[int] = field(default_factory=list)
    copies: list[tuple[str, str, Any]] = field(default_factory=list)  # (event_id or '', 'first'/'other'/'bad', the send's future)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, per_second: int = 80) -> threading.Thread:
        thread = threading.Thread(target=self._send, args=(per_second,), daemon=True)
        thread.start()
        return thread

    def _send(self, per_second: int) -> None:
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        for i in itertools.count():
            if self.stop.is_set():
                break
            event = revenue(event_id=f"rp-{i}", amount_vnd=1_000_000 + i, occurred_at=f"2021-06-{1 + i % 28:02d}T09:00:00+07:00")
            sends = [("first", encode(event), i)]
            if i % 13 == 0:
                sends.append(("first", encode(event), i + 1))
            if i % 17 == 0:
                sends.append(("other", encode({**event, "receipt_no": "OTHER"}), i + 2))
            if i % 19 == 0:
                sends.append(("bad", b"{not json", i + 3))
            for tag, value, partition in sends:
                future = producer.send("customs.revenue", value=value, partition=partition % PARTITIONS)
                self.copies.append(("" if tag == "bad" else event["event_id"], tag, future))
            self.sent.append(i)
            if i % 30 == 29:
                time.sleep(30 / per_second)
        producer.flush()
        producer.close()

    @property
    def total(self) -> int:
        return sum(1_000_000 + i for i in self.sent)

    def expected_rejects(self, kept: dict[str, tuple[int, int]]) -> set[tuple[int, int, str]]:
        """The rejects the lake must hold given the copy of each event it kept (`kept`: event_id -> position):
        each bad message, and each copy whose content differs from the kept one's."""
        positions = [(event_id, tag, (f.get().partition, f.get().offset)) for event_id, tag, f in self.copies]
        kept_tag = {event_id: tag for event_id, tag, where in positions if where == kept.get(event_id)}
        expected = {(*where, "invalid_json") for event_id, tag, where in positions if tag == "bad"}
        return expected | {
            (*where, "conflicting_duplicate") for event_id, tag, where in positions if tag != "bad" and tag != kept_tag[event_id]
        }


_PROBE = """
import json, sys, duckdb
from streams.lake import load_extensions
con = duckdb.connect(); load_extensions(con, "ducklake", "postgres")
con.execute(f"ATTACH 'ducklake:{sys.argv[1]}' AS lake (READ_ONLY)")
print(json.dumps({
    "rows": con.execute("SELECT event_id, source_partition, source_offset, amount_vnd FROM lake.revenue").fetchall(),
    "rejects": con.execute("SELECT source_partition, source_offset, reason FROM lake.rejects").fetchall(),
    "epoch": con.execute("SELECT max(epoch) FROM lake.lake_leader").fetchall()[0][0],
}))
"""


@dataclass(frozen=True)
class LakeContents:
    rows: list[tuple[str, int, int, int]]
    rejects: list[tuple[int, int, str]]
    epoch: int

    @property
    def kept(self) -> dict[str, tuple[int, int]]:
        return {event_id: (partition, offset) for event_id, partition, offset, _ in self.rows}


def _lake(catalog: str) -> LakeContents:
    out = subprocess.run([sys.executable, "-c", _PROBE, catalog], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout)
    return LakeContents([tuple(r) for r in found["rows"]], [tuple(r) for r in found["rejects"]], found["epoch"])


def _collected(replica: ConsumerProcess) -> float:
    return float(sum(v for (metric, labels), v in replica.samples().items() if metric == "customs_revenue_collected_vnd_total"))


def _store(db: Path) -> tuple[int, ...]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        found = con.execute(
            "SELECT (SELECT count(*) FROM revenue), (SELECT count(DISTINCT event_id) FROM revenue), (SELECT sum(amount_vnd) FROM revenue), "
            "(SELECT count(*) FILTER (reason = 'invalid_json') FROM rejects), "
            "(SELECT count(*) FILTER (reason = 'conflicting_duplicate') FROM rejects)"
        ).fetchall()[0]
    finally:
        con.close()
    return tuple(int(x) for x in found)


@pytest.fixture(scope="module")
def server() -> Iterator[Postgres]:
    folder = Path(tempfile.mkdtemp(prefix="customs-kpi-pg-"))  # not under pytest's 0700 folder: the postgres user reads it
    os.chmod(folder, 0o755)
    pg = Postgres(folder / "pg").start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


class Pair:
    """Two replicas of one lake, each in a folder of its own; restartable, killable, pausable."""

    def __init__(self, bootstrap: str, tmp_path: Path, postgres: Postgres, *extra: str) -> None:
        n = next(_GROUPS)
        self.catalog = f"postgres:{postgres.conninfo}"
        self.lake_args = ("--lake", self.catalog, "--lake-data", str(tmp_path / "lake-data"))
        self.bootstrap, self.tmp_path = bootstrap, tmp_path
        self.names = (f"a{n}", f"b{n}")
        # A 3-second election session (6 s by default; the launcher's broker allows from 1 s): the
        # takeovers are the same, sooner. scripts/bench_failover.py measures them at the default.
        self.common = (
            *self.lake_args, "--publish-every", "0.5", "--leader-group", f"customs-kpi-leader-test-{n}",
            "--leader-session-timeout", "3", *extra,
        )  # fmt: skip
        self.replicas = {name: self._process(name) for name in self.names}

    def db(self, name: str) -> Path:
        return self.tmp_path / name / "customs.duckdb"

    def _process(self, name: str) -> ConsumerProcess:
        self.db(name).parent.mkdir(exist_ok=True)
        process = ConsumerProcess(self.bootstrap, self.db(name), self.tmp_path / f"{name}.log", "--replica", name, *self.common)
        if name in getattr(self, "replicas", {}):
            process.port = self.replicas[name].port  # the same /metrics address as before: Prometheus' target
        return process

    def start(self, name: str) -> ConsumerProcess:
        self.replicas[name] = self._process(name)
        return self.replicas[name].start()

    def leader(self) -> str | None:
        """The one replica whose gauge says it leads (None while none or both do)."""
        leading = []
        for name, replica in self.replicas.items():
            if replica.process is None or replica.process.poll() is not None:
                continue
            try:
                if sample(replica.samples(), "customs_kpi_lake_leader", replica=name) == 1:
                    leading.append(name)
            except OSError:
                continue
        return leading[0] if len(leading) == 1 else None

    def other(self, name: str) -> str:
        return self.names[1] if name == self.names[0] else self.names[0]


def _records(replica: ConsumerProcess) -> float:
    return float(sum(v for (metric, _), v in replica.samples().items() if metric == "customs_kpi_records_total"))


_PUBLISHED_BY = """
import sys, duckdb
from streams.lake import load_extensions
con = duckdb.connect(); load_extensions(con, "ducklake", "postgres")
con.execute(f"ATTACH 'ducklake:{sys.argv[1]}' AS lake (READ_ONLY)")
print(*con.execute("SELECT (SELECT store_id FROM lake.lake_publications ORDER BY epoch DESC, batch_seq DESC LIMIT 1), "
                   "(SELECT count(*) FROM lake.lake_publications WHERE store_id = ? AND published_at > to_timestamp(?))",
                   [sys.argv[2], float(sys.argv[3])]).fetchall()[0])
"""


def _publications(catalog: str, store_id: str = "", after: float = 0) -> tuple[str, int]:
    """The store the lake's newest publication came from, and how many publications `store_id` made after `after`."""
    out = subprocess.run(
        [sys.executable, "-c", _PUBLISHED_BY, catalog, store_id, str(after)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr[-2000:]
    newest, count = out.stdout.split()
    return newest, int(count)


# The business panels: those of every dashboard but the pipeline's, whose panels show each instance;
# but the ages (time() - ...), which grow, and the firing alerts, which come and go.
BUSINESS = [
    (uid, title, expr)
    for uid, title, expr in dashboard_queries()
    if uid != "customs-pipeline" and "time()" not in expr and "ALERTS" not in expr
]
MERGED = [
    "customs_national:revenue_ytd_vnd",
    "customs_national:departments_on_pace:count",
    "customs_national:departments_with_target:count",
]


def _figures(prometheus: Prometheus) -> dict[str, list[tuple[tuple[tuple[str, str], ...], str]]]:
    """Every business panel's and merged rule's instant result: label sets and values, sorted."""
    found = {}
    for key, expr in [*((f"{uid}/{title}", expr) for uid, title, expr in BUSINESS), *((rule, rule) for rule in MERGED)]:
        result = prometheus.query(expr)
        found[f"{key}: {expr}"] = sorted((tuple(sorted(r["metric"].items())), r["value"][1]) for r in result)
    return found


def test_a_pair_through_a_pause_three_kills_and_a_lost_disk(
    bootstrap: str, tmp_path: Path, server: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres = server.new_database("lake_pair")
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    pair = Pair(bootstrap, tmp_path, postgres, "--clock", "event")
    for name in pair.names:
        pair.replicas[name].start()
    produced = sent(
        cli("produce", "simulate", "-b", bootstrap, "--start", "2021-01-01", "--end", "2021-01-11", "--events-per-day", "100").stdout
    )
    for name in pair.names:
        wait_until(lambda n=name: _records(pair.replicas[n]) >= produced, 90, f"{name} holding the {produced} events")

    # Prometheus scrapes both replicas with the shipped rules (every duration divided by 60).
    rules = scale_rule_files(sorted((PROMETHEUS_DIR / "rules").glob("*.rules.yml")), tmp_path / "rules", 60)
    config = tmp_path / "prometheus.yml"
    targets = [f"127.0.0.1:{pair.replicas[name].port}" for name in pair.names]
    scrape = {"job_name": "customs-kpi", "static_configs": [{"targets": targets}]}
    config.write_text(yaml.safe_dump({"global": GLOBAL, "rule_files": [str(r) for r in rules], "scrape_configs": [scrape]}))
    prometheus = Prometheus(config, tmp_path, free_port())
    try:
        prometheus.wait_for('count(up{job="customs-kpi"} == 1) == 2')
        prometheus.wait_for("customs_national:departments_on_pace:count")
        time.sleep(2)  # a rule evaluation after both targets' scrapes
        before = _figures(prometheus)
        # Panels of long windows (a day of pace, on rules scaled 60 times) have no data yet; the rest do.
        assert all(before[f"{rule}: {rule}"] for rule in MERGED) and sum(map(bool, before.values())) >= 25, before

        # The leader paused past its session timeout: the other takes over.
        paused_name = wait_until(pair.leader, 60, "a leader")
        other = pair.other(paused_name)
        paused_store, _ = _publications(pair.catalog)  # the lake mirrors the leader's store
        paused = pair.replicas[paused_name]
        assert paused.process is not None
        paused.process.send_signal(signal.SIGSTOP)
        leads = f"{other} taking over"
        wait_until(lambda: sample(pair.replicas[other].samples(), "customs_kpi_lake_leader", replica=other) == 1, 30, leads)
        prometheus.wait_for('count(up{job="customs-kpi"} == 1) == 1')
        time.sleep(2)  # the paused target's series are stale; the rules evaluated since
        assert _figures(prometheus) == before  # one replica serves the same figures: nothing halved, nothing missing

        late = [revenue(event_id=f"late-{i}", amount_vnd=5_000_000 + i, occurred_at="2021-01-10T10:00:00+07:00") for i in range(50)]
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for event in late:
            producer.send("customs.revenue", value=encode(event))
        producer.flush()
        producer.close()
        wait_until(
            lambda: sum(1 for r in _lake(pair.catalog).rows if r[0].startswith("late-")) == len(late), 60, "the late events in the lake"
        )
        resumed_at = time.time()
        paused.process.send_signal(signal.SIGCONT)
        log = tmp_path / f"{paused_name}.log"
        wait_until(lambda: "stepped down from leading the lake" in log.read_text(), 30, f"{paused_name} stepping down")
        wait_until(lambda: _collected(paused) == _collected(pair.replicas[other]), 60, f"{paused_name} catching up")
        assert pair.leader() == other  # the lead stays where it went
        assert _publications(pair.catalog, paused_store, resumed_at)[1] == 0  # nothing published by the paused one since

        # Three kills of the leader while events flow; the last one killed loses its folder.
        flow = Flow(bootstrap)
        sender = flow.run()
        rng = random.Random(23)
        epochs = []
        try:
            for kill in range(3):
                leader = wait_until(pair.leader, 60, "a leader")
                time.sleep(rng.uniform(0.3, 1.2))  # events flow, publications come and go
                pair.replicas[leader].kill()  # SIGKILL, mid-stream
                other = pair.other(leader)
                wait_until(lambda other=other: pair.leader() == other, 30, f"{other} taking over")
                epochs.append(_lake(pair.catalog).epoch)
                if kill < 2:
                    pair.start(leader)  # back as the follower
        finally:
            flow.stop.set()
            sender.join(timeout=30)
        assert epochs == sorted(set(epochs)) and len(epochs) == 3  # a new epoch each time
        lost = leader
        shutil.rmtree(pair.db(lost).parent)
        restore = ["restore", "--from-lake", "--replica", lost, "--db", str(pair.db(lost)), *pair.lake_args]
        restored = subprocess.run([sys.executable, "-m", "streams", *restore], capture_output=True, text=True, cwd=ROOT)
        assert restored.returncode == 0, restored.stderr
        pair.start(lost)

        ids = {f"rp-{i}" for i in flow.sent} | {e["event_id"] for e in late}
        total = flow.total + sum(e["amount_vnd"] for e in late)
        wait_until(lambda: ids <= set(_lake(pair.catalog).kept), 90, "every event in the lake")
        collected = {name: _collected(pair.replicas[name]) for name in pair.names}
        wait_until(
            lambda: _collected(pair.replicas[lost]) == _collected(pair.replicas[other]), 60, f"{lost} catching up from the lake's offsets"
        )
        prometheus.wait_for('count(up{job="customs-kpi"} == 1) == 2')
        time.sleep(2)
        ytd = float(_figures(prometheus)["customs_national:revenue_ytd_vnd: customs_national:revenue_ytd_vnd"][0][1])
        single = sum(v for (metric, _), v in pair.replicas[other].samples().items() if metric == "customs_revenue_ytd_vnd")
        assert ytd == single  # the pair's figure is one replica's, not two
    finally:
        prometheus.stop()
    assert all(pair.replicas[name].stop() == 0 for name in pair.names)

    lake = _lake(pair.catalog)
    assert len(lake.rows) == len(lake.kept)  # every event once
    ours = [row for row in lake.rows if row[0] in ids]
    assert len(ours) == len(ids) and sum(amount for *_, amount in ours) == total
    assert set(lake.rejects) == flow.expected_rejects(lake.kept)  # every bad message; every copy unlike the one kept
    for name in pair.names:  # both stores hold everything
        assert _store(pair.db(name))[1] == len(lake.kept), (name, collected)
    logs = "".join((tmp_path / f"{name}.log").read_text() for name in pair.names)
    assert logs.count("takeover at batch") >= 3
    assert "this replica's publication is refused" in log.read_text() or "no longer elected" in log.read_text()


GLOBAL = {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
