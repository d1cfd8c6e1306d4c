"""The leadership briefing: every figure equals the curated views' value, the page works in a real
headless Chromium (no errors, every chart loads, it prints to PDF), and the unusual days say so in words."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.kpi.targets import load_targets
from streams.produce.run import encode
from streams.produce.simulator import SimulationPlan, Simulator
from streams.read import open_sandbox, run_query
from streams.report.briefing import end_of_day, gather
from streams.report.html import render
from streams.report.pdf import browser
from streams.report.text import DRUG_UNITS, SEIZURE_CATEGORIES
from streams.store import open_store, write_reference
from tests.support.factories import raw_batch
from tests.support.services import ROOT, cli
from tests.support.sqlcover import covers

ICT = timezone(timedelta(hours=7))
NOW = datetime(2021, 7, 2, tzinfo=UTC)
ARTIFACTS = ROOT / "var" / "artifacts"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six months of 2021 and the same of 2020, simulated with a spread; department 61 sends nothing; three bad messages."""
    path = tmp_path_factory.mktemp("report") / "customs.duckdb"
    store = open_store(path)
    write_reference(store, load_targets())
    for start, end, seed in ((datetime(2020, 1, 1, tzinfo=ICT), datetime(2020, 7, 1, tzinfo=ICT), 2020),
                             (datetime(2021, 1, 1, tzinfo=ICT), datetime(2021, 7, 1, tzinfo=ICT), 2021)):  # fmt: skip
        plan = SimulationPlan(start, end, events_per_day=150, seed=seed, spread=0.1, silent=frozenset({"61"}))
        by_topic: dict[str, list[bytes]] = {}
        for event in Simulator(plan, load_targets()).events():
            by_topic.setdefault(event.topic, []).append(encode(event))
        for topic, values in by_topic.items():
            spec = next(s for s in EVENT_TYPES.values() if s.topic == topic)
            store.write_batch([(spec, decode_batch(spec, raw_batch(topic, values), NOW))], {}, NOW)
    rejected_at = datetime(2021, 6, 20, tzinfo=UTC)  # bad messages consumed in June: this year's data quality
    for spec, bad in ((EVENT_TYPES["revenue"], [b"{broken", b"[]"]), (EVENT_TYPES["seizure"], [b"{"])):
        store.write_batch([(spec, decode_batch(spec, raw_batch(spec.topic, bad, first_offset=10**6), rejected_at))], {}, rejected_at)
    store.close()
    return path


def _view(db: Path, sql: str, **params: object) -> list[dict[str, Any]]:
    con, source = open_sandbox(db)
    try:
        return run_query(con, source, sql, max_rows=100_000, params=params).frame.to_dicts()
    finally:
        con.close()


def _briefing(db: Path, day: date, lang: str = "vi") -> tuple[dict[str, Any], str]:
    con, source = open_sandbox(db)
    try:
        html = render(gather(con, source, day), lang)
    finally:
        con.close()
    data = re.search(r'<script type="application/json" id="briefing-data">(.*?)</script>', html, re.S)
    assert data is not None
    return json.loads(data.group(1).replace("<\\/", "</")), html


@covers(
    "report/daily",
    "report/declarations",
    "report/drugs",
    "report/enforcement",
    "report/league",
    "report/national",
    "report/period",
    "report/plan_share",
    "report/rejects",
    "report/release",
    "report/tax_types",
    "report/year_on_year",
)
def test_every_figure_equals_the_curated_views(db: Path) -> None:
    """Headline, year on year, league, tax types, refunds and declarations at the end of June 2021, against the views."""
    data, html = _briefing(db, date(2021, 6, 30))
    as_of = end_of_day(date(2021, 6, 30))
    national = _view(db, "FROM national_progress($a)", a=as_of)
    assert [(r["level"], r["ytd_vnd"], r["target_vnd"]) for r in data["national"]] == [
        (r["level"], r["ytd_vnd"], r["target_vnd"]) for r in national
    ]
    assert [r["pace_ratio"] for r in data["national"]] == pytest.approx([r["pace_ratio"] for r in national], rel=1e-12)
    yoy = _view(db, "SELECT sum(this_year_vnd) AS t, sum(last_year_vnd) AS l FROM revenue_year_on_year($a)", a=as_of)[0]
    assert (data["year_on_year"]["this_year_vnd"], data["year_on_year"]["last_year_vnd"]) == (yoy["t"], yoy["l"]) and yoy["l"] > 0
    progress = {r["department_code"]: r for r in _view(db, "FROM revenue_progress($a) WHERE level = 'estimate'", a=as_of)}
    assert len(data["league"]) == 35
    for row in data["league"]:
        view = progress[row["department_code"]]
        assert (row["ytd_vnd"], row["target_vnd"], row["target_status"]) == (view["ytd_vnd"], view["target_vnd"], view["target_status"])
        assert row["pace_ratio"] == pytest.approx(view["pace_ratio"], rel=1e-12)
    on_pace = sum(1 for r in progress.values() if r["pace_ratio"] is not None and r["pace_ratio"] >= 1)
    assert data["on_pace"] == on_pace and 0 < on_pace < 35  # the simulated year has something to say
    assert f"{on_pace}/35 cục đạt tiến độ kế hoạch" in html
    taxes = _view(db, "SELECT tax_type, sum(gross_vnd) AS g, sum(refunded_vnd) AS r FROM revenue_by_tax_type "
                      "WHERE year = 2021 AND month <= 6 GROUP BY 1", )  # fmt: skip
    assert {r["tax_type"]: (r["gross_vnd"], r["refunded_vnd"]) for r in data["tax_types"]} == {
        t["tax_type"]: (t["g"], t["r"]) for t in taxes
    }
    declarations = _view(
        db, "SELECT flow, channel, sum(declarations) AS n FROM declarations_by_channel WHERE year = 2021 AND month <= 6 GROUP BY ALL"
    )
    assert {(r["flow"], r["channel"]): r["declarations"] for r in data["declarations"]} == {
        (d["flow"], d["channel"]): d["n"] for d in declarations
    }
    rejects = _view(db, "SELECT reason, sum(rejects) AS n FROM rejects_by_reason WHERE day <= DATE '2021-06-30' GROUP BY 1")
    assert {r["reason"]: r["rejects"] for r in data["rejects"]} == {r["reason"]: r["n"] for r in rejects} and data["rejects"]
    # The printed words: the headline in the Vietnamese style, names with their diacritics.
    ytd = data["national"][0]["ytd_vnd"]
    assert f"{ytd / 1e9:,.0f}".replace(",", ".") + " tỷ đồng" in html
    assert "Hải Phòng" in html and "Lạng Sơn" in html


def test_enforcement_is_the_reporting_period(db: Path) -> None:
    """On the 15th, the period's last day: cases, goods value, prosecutions and drugs equal the period views."""
    data, _ = _briefing(db, date(2021, 6, 15), "en")
    assert data["period"] == {"first_day": "2021-05-16", "last_day": "2021-06-15"}
    view = _view(db, "SELECT category, sum(cases) AS c, sum(goods_value_vnd) AS v, sum(prosecuted) AS p FROM seizures_by_period "
                     "WHERE period_end = DATE '2021-06-15' GROUP BY 1")  # fmt: skip
    assert {r["category"]: (r["cases"], r["goods_value_vnd"], r["prosecuted"]) for r in data["enforcement"]} == {
        v["category"]: (v["c"], v["v"], v["p"]) for v in view
    }
    drugs = _view(
        db, "SELECT drug_unit, sum(cases) AS c, sum(quantity) AS q FROM drug_quantities WHERE period_end = DATE '2021-06-15' GROUP BY 1"
    )
    assert {r["drug_unit"]: (r["cases"], pytest.approx(r["quantity"])) for r in data["drugs"]} == {
        d["drug_unit"]: (d["c"], d["q"]) for d in drugs
    }
    release = _view(db, "SELECT channel, count(*) AS n, median(release_hours) AS m FROM release_times "
                        "WHERE cleared_at BETWEEN $s AND $e GROUP BY 1",
                    s=datetime(2021, 1, 1, tzinfo=ICT), e=end_of_day(date(2021, 6, 15)))  # fmt: skip
    assert {r["channel"]: (r["cleared"], pytest.approx(r["median_hours"])) for r in data["release"]} == {
        r["channel"]: (r["n"], r["m"]) for r in release
    }
    # The tables name categories and drug units in words of the page's language, never as codes.
    _, vi = _briefing(db, date(2021, 6, 15))
    _, en = _briefing(db, date(2021, 6, 15), "en")
    table = re.compile(r"<tr><td class=(?:''|\"\")>([^<]*)</td>")  # a row's first cell
    names = {"vi": set(table.findall(vi)), "en": set(table.findall(en))}
    assert {r["category"] for r in data["enforcement"]} >= {"trade_fraud", "illegal_transport", "smuggling"}
    for lang, words in (("vi", SEIZURE_CATEGORIES["vi"]), ("en", SEIZURE_CATEGORIES["en"])):
        assert {words[r["category"]] for r in data["enforcement"]} <= names[lang]
        assert not {r["category"] for r in data["enforcement"]} & names[lang]  # no bare code
        assert {DRUG_UNITS[lang][r["drug_unit"]] for r in data["drugs"]} <= names[lang]
    assert "Gian lận thương mại" in names["vi"] and "Vận chuyển trái phép hàng hóa qua biên giới" in names["vi"]


def test_unusual_days_say_so_in_words(db: Path) -> None:
    """A day before any data, a year without targets, a department without events: correct, and said."""
    empty, html = _briefing(db, date(2019, 6, 30))
    assert empty["notes"][:2] == ["no_data", "no_targets"] and "Chưa có số liệu nào đến ngày này." in html
    assert all(r["ytd_vnd"] == 0 for r in empty["league"]) and empty["on_pace"] == 0
    later, html = _briefing(db, date(2023, 3, 31), "en")
    assert "no_targets" in later["notes"] and "No targets for 2023: pace cannot be computed." in html
    assert later["with_target"] == 0 and later["on_pace"] == 0
    june, html = _briefing(db, date(2021, 6, 30))
    silent = next(r for r in june["league"] if r["department_code"] == "61")
    assert (silent["receipts"], silent["ytd_vnd"], silent["on_pace"]) == (0, 0, False)
    assert "silent_departments" in june["notes"] and "chưa có số thu" in html


def test_the_league_lists_every_department_with_the_level_of_its_target(db: Path) -> None:
    """2020: Hải Phòng (03) has only an assigned target, Lạng Sơn (15) an estimate and a striving one, most
    departments none. All 35 are listed, each once, at its estimate level or else its only level, with
    the figures of revenue_progress at that level; the page says which level is not an estimate."""
    data, html = _briefing(db, date(2020, 6, 30))
    as_of = end_of_day(date(2020, 6, 30))
    assert len(data["league"]) == 35 and len({r["department_code"] for r in data["league"]}) == 35
    levels = {r["department_code"]: r["level"] for r in data["league"]}
    assert levels["03"] == "assigned" and levels["15"] == "estimate"
    for row in data["league"]:
        [view] = _view(
            db,
            "FROM revenue_progress($a) WHERE department_code = $d AND level IS NOT DISTINCT FROM $l",
            a=as_of,
            d=row["department_code"],
            l=row["level"],
        )
        assert (row["ytd_vnd"], row["target_vnd"]) == (view["ytd_vnd"], view["target_vnd"])
    hai_phong = next(r for r in data["league"] if r["department_code"] == "03")
    assert hai_phong["target_vnd"] == 67_000 * 10**9 and hai_phong["ytd_vnd"] > 0 and hai_phong["receipts"] > 0
    assert "(chỉ tiêu giao)" in html
    assert data["with_target"] == sum(r["target_vnd"] is not None for r in data["league"]) >= 3


def test_the_page_in_a_real_browser_and_its_pdf(db: Path, tmp_path: Path) -> None:
    """Chromium loads the page without an error and with every chart; the CLI prints the PDF; its text keeps the diacritics."""
    page = tmp_path / "briefing.html"
    cli("report", "--as-of", "2021-06-30", "--db", str(db), "--output", str(page))
    html = page.read_text("utf-8")
    images = len(re.findall(r"<img ", html))
    assert images >= 3
    probe = tmp_path / "probe.html"  # the page and a check run after it loads: errors and images, written into the DOM
    probe.write_text(
        html.replace("<head>", "<head><script>window.__errors = []; window.onerror = (m) => { window.__errors.push(String(m)); };"
                     "const e = console.error; console.error = (...a) => { window.__errors.push(a.join(' ')); e(...a); };</script>", 1)
        .replace("</body>", "<script>window.addEventListener('load', () => { const imgs = [...document.images];"
                 "document.body.setAttribute('data-check', JSON.stringify({errors: window.__errors, images: imgs.length,"
                 "loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length})); });</script></body>", 1),
        encoding="utf-8",
    )  # fmt: skip
    dom = subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    found = re.search(r"data-check=\"([^\"]*)\"", dom)
    assert found is not None, dom[-500:]
    check = json.loads(found.group(1).replace("&quot;", '"'))
    assert check == {"errors": [], "images": images, "loaded": images}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "briefing.png"
    subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--screenshot={shot}",
         "--window-size=1100,3000", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    assert shot.stat().st_size > 50_000
    pdf = tmp_path / "briefing.pdf"
    cli("report", "--as-of", "2021-06-30", "--db", str(db), "--output", str(pdf))
    pages = int(
        re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout).group(1)
    )  # type: ignore[union-attr]
    assert 3 <= pages <= 8
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Hải Phòng" in text and "Lạng Sơn" in text and "Bà Rịa - Vũng Tàu" in text and "tỷ đồng" in text
