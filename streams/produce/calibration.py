"""What the simulator draws from. All mixes here are ILLUSTRATIVE unless a comment cites FACTS.md."""

from __future__ import annotations

from datetime import date

# Tết (lunar new year) dates, FACTS.md. The Tết month collects less.
TET = {2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1)}
TET_MONTH_FACTOR = 0.85  # illustrative; Feb 2021 was 22% below Jan 2021 (FACTS.md)

TAX_TYPES = {  # share of collections; VAT on imports is the largest (FACTS.md), the split is illustrative
    "vat": 0.60,
    "import_duty": 0.18,
    "excise": 0.10,
    "environmental_protection": 0.07,
    "export_duty": 0.015,
    "anti_dumping": 0.012,
    "safeguard": 0.006,
    "countervailing": 0.002,
    "other": 0.015,
}
REFUND_SHARE = 0.03  # refunds as a share of gross collections, illustrative

IMPORT_TYPES = {"A11": 0.35, "A12": 0.2, "E31": 0.15, "E21": 0.08, "A41": 0.05, "E11": 0.05, "G11": 0.04, "C11": 0.03, "H11": 0.05}
EXPORT_TYPES = {"B11": 0.45, "E62": 0.2, "E52": 0.1, "B13": 0.05, "E42": 0.05, "G21": 0.05, "C12": 0.05, "H21": 0.05}
IMPORT_SHARE = 0.55
CHANNELS = {"green": 0.60, "yellow": 0.32, "red": 0.08}  # policy aims to raise green (FACTS.md); split illustrative
RELEASE_MEDIAN_HOURS = {"green": 0.3, "yellow": 3.0, "red": 20.0}
CANCEL_SHARE = 0.02
HS_CODES = ["85171200", "84713020", "87032363", "27101943", "39011092", "72083900", "08105000", "61091010", "94036090", "30049099"]

SEIZURE_CATEGORIES = {
    "trade_fraud": 0.30,
    "smuggling": 0.25,
    "illegal_transport": 0.15,
    "other": 0.11,
    "counterfeit_ip": 0.08,
    "prohibited": 0.05,
    "origin_fraud": 0.03,
    "drugs": 0.0143,
    "wildlife": 0.0057,
}  # drugs: 219 of 15,314 cases in 2020 (FACTS.md); the rest illustrative
PROSECUTED_SHARE = 48 / 15314  # FACTS.md, 2020
TRANSFERRED_SHARE = 146 / 15314  # FACTS.md, 2020
GOODS_VALUE_PER_CASE_VND = 4_507e9 / 15314  # FACTS.md, 2020 averages
BUDGET_PER_CASE_VND = 493.7e9 / 15314
DRUG_UNITS = {"kg": (0.5, 40.0), "brick": (1, 60), "package": (1, 200), "tablet": (50, 20000), "bag": (1, 50)}
ROUTES = {"road": 0.4, "sea": 0.25, "air": 0.15, "post": 0.1, "inland": 0.07, "rail": 0.03}

# Known office codes (FACTS.md); other departments get generic illustrative offices.
KNOWN_OFFICES = {"03": ["03CC", "03CE", "03EE"], "15": ["15BB", "15BC"], "02": ["02CI", "02CC", "02DS"]}
STREAM_SHARES = {"revenue": 0.36, "declarations": 0.60, "seizures": 0.04}  # of events per simulated day
