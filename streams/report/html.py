"""One self-contained HTML file of the briefing: text, tables, charts as data URLs, and the figures as JSON."""

from __future__ import annotations

import json
from datetime import datetime

from streams.report import charts
from streams.report.briefing import Briefing
from streams.report.markup import Html, html, join, tag
from streams.report.text import DRUG_UNITS, SEIZURE_CATEGORIES, TAX_TYPES, WORDS, Style

CSS = """
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
.banner { background: #fff4e5; border: 1px solid #e69138; padding: 0.4em 0.8em; font-size: 0.9em; }
.headline { display: flex; gap: 2em; flex-wrap: wrap; } .headline div { min-width: 12em; }
.big { font-size: 1.6em; font-weight: bold; } .note { color: #666; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; } td, th { padding: 0.15em 0.6em; border-bottom: 1px solid #eee; }
td.n, th.n { text-align: right; } .behind { color: #b00; } .on { color: #2a7a2a; }
img { max-width: 100%; } section { page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


def render(b: Briefing, lang: str = "vi") -> str:
    w, s = WORDS[lang], Style(lang)
    name = "name_vi"
    parts: list[object] = [
        join([Html(f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'), tag("title", f"{w['title']} \u2013 {b.day}")]),
        Html(f"<style>{CSS}</style></head><body>"),
        join([tag("h1", w["title"]), tag("p", w["as_of"].format(day=_day(b.day, lang)))]),
        tag("p", w["illustrative_banner"], class_="banner"),
    ]
    notes = [w[n].format(year=b.year) for n in b.notes]
    if notes:
        parts.append(tag("ul", *(tag("li", n) for n in notes), class_="notes"))
    parts.append(_headline(b, w, s))
    if b.has_data:
        labels = {k: w[k] for k in ("this", "last", "plan", "axis", "estimate", "striving", "assigned")}
        chart = charts.burn_up(b.burn_up, labels)
        parts.append(tag("section", tag("h2", w["burn_up"]), tag("img", alt=w["burn_up"], src=chart)))
    parts.append(_league(b, w, s, name))
    parts.append(_shortfalls(b, w, s))
    parts.append(_refunds(b, w, s))
    parts.append(_declarations(b, w, s))
    parts.append(_enforcement(b, w, s, lang))
    parts.append(_quality(b, w, s))
    data = json.dumps(b.to_json(), ensure_ascii=False, default=str).replace("</", "<\\/")
    parts.append(Html(f'<script type="application/json" id="briefing-data">{data}</script></body></html>'))  # JSON, "</" escaped
    return "\n".join(html(p) for p in parts)


def _word(w: dict[str, str], key: object) -> str:
    """A code's word in the language (the code itself when there is none)."""
    return w.get(str(key), str(key))


def _day(iso: str, lang: str) -> str:
    d = datetime.fromisoformat(iso)
    return d.strftime("%d/%m/%Y") if lang == "vi" else d.strftime("%d %B %Y")


def _table(head: list[tuple[str, bool]], rows: list[list[object]], none: str) -> Html:
    if not rows:
        return tag("p", none)
    th = tag("tr", *(tag("th", h, class_="n" if numeric else "") for h, numeric in head))
    body = (
        tag("tr", *(tag("td", cell, class_="n" if numeric else "") for (_, numeric), cell in zip(head, row, strict=True))) for row in rows
    )
    return tag("table", tag("thead", th), tag("tbody", *body))


def _share(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else part / whole


def _headline(b: Briefing, w: dict[str, str], s: Style) -> Html:
    ytd = b.national[0].ytd_vnd if b.national else 0
    levels = join(
        [
            tag(
                "div",
                w["of_level"].format(pct=s.pct(_share(r.ytd_vnd, r.target_vnd)), level=_word(w, r.level)),
                "" if r.target_status == "official" else " *",
            )
            for r in b.national
            if r.level is not None
        ]
    )
    projected = next((r.projected_year_end_vnd for r in b.national), None)
    yoy = b.year_on_year
    change = (
        f"{'+' if yoy.this_year_vnd >= yoy.last_year_vnd else ''}{s.pct(yoy.this_year_vnd / yoy.last_year_vnd - 1)}"
        if yoy.last_year_vnd
        else w["yoy_none"]
    )

    def figure(label: str, ident: str, value: str, extra: Html | None = None) -> Html:
        return tag("div", tag("div", label, class_="note"), tag("div", value, class_="big", id=ident), extra)

    return tag(
        "section",
        tag("h2", w["headline"]),
        tag(
            "div",
            figure(w["collected"], "headline-ytd", s.money(ytd), levels),
            figure(w["projection"], "headline-projection", s.money(projected)),
            figure(w["yoy"], "headline-yoy", change),
            class_="headline",
        ),
    )


def _league(b: Briefing, w: dict[str, str], s: Style, name: str) -> Html:
    rows: list[list[object]] = []
    for r in sorted(b.league, key=lambda r: (r.pace_ratio is None, r.pace_ratio or 0)):
        if r.receipts == 0:
            status: object = tag("span", w["no_events"], class_="behind")
        elif r.pace_ratio is None:
            status = "\u2013"
        else:
            status = tag("span", w["on_pace"], class_="on") if r.on_pace else tag("span", w["behind"], class_="behind")
        mark = "" if r.target_status in ("official", None) else " *"
        if r.level not in ("estimate", None):  # no estimate that year: the level the target comes from
            mark += f" ({w['level_' + r.level]})"
        rows.append(
            [
                f"{r.department_code} {getattr(r, name)}",
                s.bn(r.ytd_vnd),
                s.bn(r.target_vnd) + mark,
                s.pct(r.pace_ratio),
                s.pct(r.projected_target_ratio),
                status,
            ]
        )
    head = [
        (w["col_dept"], False),
        (w["col_ytd"], True),
        (w["col_target"], True),
        (w["col_plan_pct"], True),
        (w["col_proj_pct"], True),
        (w["col_status"], False),
    ]
    count = w["on_pace_count"].format(k=b.on_pace, n=len(b.league))
    chart = Html("")
    if b.has_data and b.has_targets:
        chart = tag("img", alt=w["league"], src=charts.league(b.league, name, {"pace_axis": w["pace_axis"]}))
    return tag(
        "section",
        tag("h2", w["league"]),
        tag("p", count, class_="big", id="on-pace"),
        chart,
        tag("p", f"{w['money']}; {w['illustrative_mark']}", class_="note"),
        _table(head, rows, w["none"]),
    )


def _shortfalls(b: Briefing, w: dict[str, str], s: Style) -> Html:
    names = {r.department_code: r.name_vi for r in b.league}
    taxes = TAX_TYPES[s.lang]
    rows: list[list[object]] = [
        [f"{r.department_code} {names.get(r.department_code, '')}", _word(taxes, r.tax_type), s.bn(r.gap_vnd)] for r in b.shortfalls
    ]
    head = [(w["col_dept"], False), (w["col_tax"], False), (w["col_gap"] + f" ({w['money']})", True)]
    return tag("section", tag("h2", w["shortfalls"]), _table(head, rows, w["none"]))


def _refunds(b: Briefing, w: dict[str, str], s: Style) -> Html:
    gross = sum(r.gross_vnd for r in b.tax_types)
    refunded = sum(r.refunded_vnd for r in b.tax_types)
    total = w["refund_total"].format(amount=s.money(refunded), pct=s.pct(refunded / gross if gross else None))
    rows: list[list[object]] = [
        [
            _word(TAX_TYPES[s.lang], r.tax_type),
            s.bn(r.gross_vnd),
            s.bn(r.refunded_vnd),
            s.pct(r.refunded_vnd / r.gross_vnd if r.gross_vnd else None),
        ]
        for r in b.tax_types
    ]
    head = [(w["col_tax"], False), (w["col_gross"], True), (w["col_refunded"], True), (w["col_share"], True)]
    return tag("section", tag("h2", w["refunds"]), tag("p", total, id="refund-total"), _table(head, rows, w["none"]))


def _declarations(b: Briefing, w: dict[str, str], s: Style) -> Html:
    rows: list[list[object]] = [[_word(w, r.flow), _word(w, r.channel), s.number(r.declarations)] for r in b.declarations]
    head = [(w["col_flow"], False), (w["col_channel"], False), (w["col_count"], True)]
    total = sum(r.declarations for r in b.declarations)
    chart = Html("")
    if total:
        mix: dict[str, float] = {}
        for r in b.declarations:
            key = _word(w, r.channel)
            mix[key] = mix.get(key, 0.0) + r.declarations / total
        chart = tag("img", alt=w["mix"], src=charts.shares(mix, w["mix"]))
    release: list[list[object]] = [
        [_word(w, r.channel), s.number(r.cleared), s.number(r.median_hours, 1), s.number(r.p90_hours, 1)] for r in b.release
    ]
    release_head = [(w["col_channel"], False), (w["col_cleared"], True), (w["col_median"], True), (w["col_p90"], True)]
    return tag(
        "section",
        tag("h2", w["declarations"]),
        _table(head, rows, w["none"]),
        chart,
        tag("h2", w["release"]),
        _table(release_head, release, w["none"]),
    )


def _enforcement(b: Briefing, w: dict[str, str], s: Style, lang: str) -> Html:
    title = w["enforcement"].format(first=_day(b.period.first_day, lang), last=_day(b.period.last_day, lang))
    rows: list[list[object]] = [
        [_word(SEIZURE_CATEGORIES[lang], r.category), s.number(r.cases), s.bn(r.goods_value_vnd), s.number(r.prosecuted)]
        for r in b.enforcement
    ]
    head = [(w["col_category"], False), (w["col_cases"], True), (w["col_value"] + f" ({w['money']})", True), (w["col_prosecuted"], True)]
    drugs: list[list[object]] = [[_word(DRUG_UNITS[lang], r.drug_unit), s.number(r.cases), s.number(r.quantity, 2)] for r in b.drugs]
    drug_head = [(w["col_unit"], False), (w["col_cases"], True), (w["col_quantity"], True)]
    return tag("section", tag("h2", title), _table(head, rows, w["none"]), tag("h2", w["drugs"]), _table(drug_head, drugs, w["none"]))


def _quality(b: Briefing, w: dict[str, str], s: Style) -> Html:
    rows: list[list[object]] = [[str(r.reason), s.number(r.rejects)] for r in b.rejects]
    head = [(w["col_reason"], False), (w["col_rejects"], True)]
    latest = tag("p", w["latest_event"].format(t=b.latest_event), class_="note") if b.latest_event else Html("")
    return tag(
        "section",
        tag("h2", w["quality"]),
        tag("p", w["freshness"].format(text=b.freshness), class_="note"),
        latest,
        _table(head, rows, w["none"]),
    )
