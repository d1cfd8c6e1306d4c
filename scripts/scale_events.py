"""Contract events at the design volume, generated in time order a batch at a time, with Polars.

A national year is about 40 million events: 15 million declarations, each registered and later
cleared (2% cancelled), 10 million revenue receipts (3% refunds) and 15,000 seizures. Every value
is ILLUSTRATIVE; department weights follow the shipped (partly illustrative) targets. Event ids
are random-looking (a 64-bit hash and a sequence number), as other systems' UUIDs would be: the
hardest case for the index. The same seed gives the same events.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from streams.contract.reference import departments
from streams.kpi.targets import load_targets

YEAR_EVENTS = 40_000_000
SHARES = {"revenue": 0.25, "declarations": 0.375}  # of a batch; the outcomes of earlier registrations make up the rest
SEIZURES_PER_YEAR = 15_000
PARTITIONS = 6
TAX = {"vat": 60, "import_duty": 18, "excise": 10, "environmental_protection": 7, "export_duty": 2, "anti_dumping": 1, "other": 2}
CHANNELS = {"green": 60, "yellow": 32, "red": 8}
RELEASE_HOURS = {"green": 0.3, "yellow": 3.0, "red": 20.0}
CATEGORIES = {
    "trade_fraud": 30,
    "smuggling": 25,
    "illegal_transport": 15,
    "other": 12,
    "counterfeit_ip": 8,
    "prohibited": 5,
    "origin_fraud": 5,
}
TOPIC = {"revenue": "customs.revenue", "declarations": "customs.declarations", "seizures": "customs.seizures"}


def _slots(weights: dict[str, float], n: int = 1000) -> pl.Series:
    """n values, each repeated in proportion to its weight: indexing by a uniform draw picks by weight."""
    total = sum(weights.values())
    out: list[str] = []
    for value, w in weights.items():
        out += [value] * max(1, round(n * w / total))
    return pl.Series(out[:n] if len(out) >= n else out + [out[-1]] * (n - len(out)))


@dataclass
class Batch:
    until: datetime  # every event of the batch occurred before this instant
    frames: dict[str, pl.DataFrame]  # topic -> partition, offset, key, value

    @property
    def size(self) -> int:
        return sum(f.height for f in self.frames.values())


class ScaleFeed:
    def __init__(self, start: datetime, seed: int = 1, year_events: int = YEAR_EVENTS) -> None:
        self.t = start
        self.seed = seed
        self.year_events = year_events
        self.seq = 0
        self.offsets = {(topic, p): 0 for topic in TOPIC.values() for p in range(PARTITIONS)}
        book = load_targets()
        weights = {t.scope: t.amount_vnd for t in book.for_year(2021) if t.level == "estimate" and t.scope != "national"}
        codes = [d.code for d in departments()]
        self.depts = _slots({c: weights.get(c, 1e9) for c in codes})
        self.decl_depts = _slots({c: weights.get(c, 1e9) ** 0.7 for c in codes})
        self.tax = _slots(TAX)
        self.channels = _slots(CHANNELS)
        self.categories = _slots(CATEGORIES)
        self.pending = pl.DataFrame()  # registered declarations whose outcome is still to come
        self.seizure_carry = 0.0

    def _draws(self, n: int, salt: int) -> pl.DataFrame:
        """n rows of independent uniform draws u0..u5 and a sequence number, reproducible by seed."""
        seq = pl.int_range(self.seq, self.seq + n, dtype=pl.UInt64, eager=True).alias("seq")
        self.seq += n
        frame = pl.DataFrame(seq)
        return frame.with_columns(
            [
                (pl.col("seq").hash(self.seed * 1000 + salt * 10 + i) % (1 << 53)).cast(pl.Float64).truediv(1 << 53).alias(f"u{i}")
                for i in range(6)
            ]
            + [pl.col("seq").hash(self.seed * 1000 + salt * 10 + 9).alias("h")]
        )

    def _at(self, u: pl.Expr, start: datetime, span_us: int) -> pl.Expr:
        return (pl.lit(start) + pl.duration(microseconds=(u * span_us).cast(pl.Int64))).alias("t")

    def next(self, n: int) -> Batch:
        """About n events occurring in the next slice of time (n / year_events of a year)."""
        span_us = int(n / self.year_events * 365 * 86400 * 1e6)
        start, until = self.t, self.t + timedelta(microseconds=span_us)
        self.t = until
        frames = {"revenue": self._revenue(round(n * SHARES["revenue"]), start, span_us)}
        self._register(round(n * SHARES["declarations"]), start, span_us)
        frames["declarations"] = self._declarations(until)
        self.seizure_carry += SEIZURES_PER_YEAR * n / self.year_events
        frames["seizures"] = self._seizures(int(self.seizure_carry), start, span_us)
        self.seizure_carry -= int(self.seizure_carry)
        return Batch(until, {TOPIC[k]: self._wire(TOPIC[k], v) for k, v in frames.items() if v.height})

    def _common(self, event_type: str, dept: pl.Expr) -> list[pl.Expr]:
        return [
            _template("{}-{}", "h", "seq").alias("event_id"),
            pl.lit(event_type).alias("event_type"),
            dept.alias("department_code"),
        ]

    def _revenue(self, n: int, start: datetime, span_us: int) -> pl.DataFrame:
        d = self._draws(n, 1)
        return (
            d.select(
                *self._common("revenue", pl.lit(self.depts).gather((pl.col("u0") * 1000).cast(pl.UInt32))),
                self._at(pl.col("u1"), start, span_us),
                pl.when(pl.col("u2") < 0.03).then(pl.lit("refund")).otherwise(pl.lit("collection")).alias("kind"),
                pl.lit(self.tax).gather((pl.col("u3") * 1000).cast(pl.UInt32)).alias("tax_type"),
                (pl.lit(2_000_000.0) * (pl.col("u4") * 9).exp()).cast(pl.Int64).alias("amount_vnd"),
                (pl.col("u5") * 9e9 + 1e9).cast(pl.Int64).cast(pl.String).alias("enterprise_tax_code"),
                "seq",
                "h",
            )
            .with_columns(pl.concat_str([pl.col("department_code"), pl.lit("CA")]).alias("office_code"))
            .sort("t")
        )

    def _register(self, n: int, start: datetime, span_us: int) -> None:
        d = self._draws(n, 2)
        registered = d.select(
            *self._common("declaration", pl.lit(self.decl_depts).gather((pl.col("u0") * 1000).cast(pl.UInt32))),
            self._at(pl.col("u1"), start, span_us),
            pl.when(pl.col("u2") < 0.55).then(pl.lit("import")).otherwise(pl.lit("export")).alias("flow"),
            pl.lit(self.channels).gather((pl.col("u3") * 1000).cast(pl.UInt32)).alias("channel"),
            (pl.col("u5") * 9e9 + 1e9).cast(pl.Int64).cast(pl.String).alias("enterprise_tax_code"),
            (pl.col("u4") * 100_000 + 500).round(2).alias("customs_value_usd"),
            pl.col("seq").cast(pl.String).str.zfill(10).alias("number"),
            "seq",
            "h",
            "u4",
        ).with_columns(
            pl.concat_str([pl.when(pl.col("flow") == "import").then(pl.lit("10")).otherwise(pl.lit("30")), "number"]).alias(
                "declaration_no"
            ),
            pl.lit("registered").alias("status"),
        )
        # The outcome: cleared after a log-normal-looking delay by channel, or cancelled (2%).
        hours = pl.col("channel").replace_strict(RELEASE_HOURS, return_dtype=pl.Float64) * (4 * (pl.col("u4") - 0.5)).exp()
        outcome = registered.with_columns(
            (pl.col("t") + pl.duration(microseconds=(hours * 3.6e9).cast(pl.Int64))).alias("t"),
            pl.when(pl.col("u4") < 0.02).then(pl.lit("cancelled")).otherwise(pl.lit("cleared")).alias("status"),
            _template("{}-{}o", "h", "seq").alias("event_id"),
        )
        self.pending = (
            pl.concat([self.pending, registered, outcome], how="vertical") if self.pending.height else pl.concat([registered, outcome])
        )

    def _declarations(self, until: datetime) -> pl.DataFrame:
        due = self.pending.filter(pl.col("t") < until).sort("t")
        self.pending = self.pending.filter(pl.col("t") >= until)
        return due.with_columns(pl.concat_str([pl.col("department_code"), pl.lit("CA")]).alias("office_code"))

    def _seizures(self, n: int, start: datetime, span_us: int) -> pl.DataFrame:
        if n == 0:
            return pl.DataFrame()
        d = self._draws(n, 3)
        return d.select(
            *self._common("seizure", pl.lit(self.depts).gather((pl.col("u0") * 1000).cast(pl.UInt32))),
            self._at(pl.col("u1"), start, span_us),
            pl.lit(self.categories).gather((pl.col("u2") * 1000).cast(pl.UInt32)).alias("category"),
            (pl.col("u3") * 6e8).cast(pl.Int64).alias("goods_value_vnd"),
            (pl.col("u3") * 6e7).cast(pl.Int64).alias("budget_collected_vnd"),
            (pl.col("u4") < 0.003).alias("prosecuted"),
            (pl.col("u5") < 0.01).alias("transferred"),
            "seq",
            "h",
        ).with_columns(pl.concat_str([pl.col("department_code"), pl.lit("CA")]).alias("office_code"))

    def _wire(self, topic: str, frame: pl.DataFrame) -> pl.DataFrame:
        """JSON values, keys, and a partition and offset for each event (offsets go on per partition)."""
        at = pl.col("t").dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
        head = '{"event_id":"{}","event_type":"{}","schema_version":1,"occurred_at":"{}","department_code":"{}","office_code":"{}",'
        if topic == "customs.revenue":
            body = '"receipt_no":"BL{}","kind":"{}","tax_type":"{}","amount_vnd":{},"enterprise_tax_code":"{}"}'
            fields = ["seq", "kind", "tax_type", "amount_vnd", "enterprise_tax_code"]
        elif topic == "customs.declarations":
            body = (
                '"declaration_no":"{}","status":"{}","type_code":"A11","flow":"{}","channel":"{}","enterprise_tax_code":"{}",'
                '"customs_value_usd":{}}'
            )
            fields = ["declaration_no", "status", "flow", "channel", "enterprise_tax_code", "customs_value_usd"]
        else:
            body = '"case_id":"VP{}","category":"{}","goods_value_vnd":{},"budget_collected_vnd":{},"prosecuted":{},"transferred":{}}'
            fields = ["seq", "category", "goods_value_vnd", "budget_collected_vnd", "prosecuted", "transferred"]
        wired = frame.select(
            _template(head + body, "event_id", "event_type", at, "department_code", "office_code", *fields).alias("value"),
            pl.col("department_code").alias("key"),
            (pl.col("h") % PARTITIONS).cast(pl.Int32).alias("partition"),
        )
        wired = wired.with_columns((pl.int_range(pl.len()).over("partition")).alias("offset"))
        base = pl.DataFrame({"partition": list(range(PARTITIONS)), "base": [self.offsets[(topic, p)] for p in range(PARTITIONS)]})
        wired = wired.join(base.cast({"partition": pl.Int32}), on="partition").with_columns(
            (pl.col("offset") + pl.col("base")).alias("offset")
        )
        for p, count in wired.group_by("partition").len().iter_rows():
            self.offsets[(topic, p)] += count
        return wired.select("partition", "offset", "key", "value").sort("partition", "offset")


def _template(text: str, *values: str | pl.Expr) -> pl.Expr:
    """text with each {} replaced by the next value, as one string column (braces elsewhere are literal)."""
    pieces = text.split("{}")
    assert len(pieces) == len(values) + 1, (text, values)
    parts: list[pl.Expr] = []
    for piece, value in zip(pieces, [*values, None], strict=True):
        parts.append(pl.lit(piece))
        if value is not None:
            parts.append((pl.col(value) if isinstance(value, str) else value).cast(pl.String))
    return pl.concat_str(parts)


def per_year(events: int) -> float:
    return events / YEAR_EVENTS


def years(events: int) -> int:
    return math.ceil(events / YEAR_EVENTS)
