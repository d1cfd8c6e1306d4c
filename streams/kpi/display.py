"""How people read the figures, one set of rules for the terminal, the demo and the briefing.

Money in billions of đồng: whole from 100 bn (and 0), one decimal under; where a table would show
0.0, three decimals or "<0.001" (`fine`). Ratios in per cent with one decimal. Vietnamese writes
54.667 and 81,6%; English 54,667 and 81.6%. A department is named by its short Vietnamese name
(streams.contract.reference.short_names)."""

from __future__ import annotations

BN = 1e9


def _local(text: str, lang: str) -> str:
    """English separators (1,234.5) as the language writes them: Vietnamese swaps them (1.234,5)."""
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text


def number(value: float, decimals: int = 0, lang: str = "en") -> str:
    return _local(f"{value:,.{decimals}f}", lang)


def billions(vnd: float, lang: str = "en", *, decimals: int | None = None, fine: bool = False) -> str:
    """An amount of đồng in billions, by the rule above (or with a fixed number of decimals)."""
    bn = float(vnd) / BN
    if decimals is None:
        decimals = 0 if abs(bn) >= 100 or bn == 0 else 1
        if fine and bn != 0 and abs(bn) < 0.05:
            if abs(bn) < 0.0005:
                return "<0.001" if bn > 0 else ">-0.001"
            return _local(f"{bn:.3f}", lang)
    return number(bn, decimals, lang)


def per_cent(ratio: float, lang: str = "en") -> str:
    return _local(f"{ratio * 100:.1f}", lang) + "%"
