"""The briefing's words and number styles, in Vietnamese (the default) and English."""

from __future__ import annotations

from dataclasses import dataclass

from streams.kpi.display import billions, number, per_cent

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Báo cáo tình hình thu ngân sách, quản lý hải quan",
        "as_of": "Số liệu đến hết ngày {day}",
        "illustrative_banner": "Dữ liệu mô phỏng, chỉ để minh họa: không phải số liệu chính thức.",
        "headline": "Thu ngân sách toàn quốc",
        "collected": "Đã thu (số thu ròng)",
        "of_level": "đạt {pct} {level}",
        "projection": "Dự báo cả năm",
        "yoy": "So với cùng kỳ năm trước",
        "yoy_none": "chưa có số liệu cùng kỳ năm trước",
        "burn_up": "Lũy kế số thu so với kế hoạch theo mùa vụ",
        "league": "Kết quả thu của 35 cục hải quan",
        "on_pace_count": "{k}/{n} cục đạt tiến độ kế hoạch",
        "col_dept": "Cục", "col_ytd": "Đã thu", "col_target": "Dự toán", "col_plan_pct": "% kế hoạch đến nay",
        "col_proj_pct": "Dự báo % dự toán", "col_status": "Tiến độ",
        "on_pace": "đạt", "behind": "chậm", "no_events": "chưa có số thu",
        "illustrative_mark": "* dự toán minh họa (không chính thức)",
        "level_assigned": "chỉ tiêu giao", "level_striving": "chỉ tiêu phấn đấu",
        "shortfalls": "Sắc thuế kéo chậm tiến độ",
        "col_tax": "Sắc thuế", "col_gap": "Chênh lệch so với kế hoạch",
        "refunds": "Hoàn thuế",
        "refund_total": "Đã hoàn {amount}, bằng {pct} số thu gộp",
        "col_gross": "Số thu gộp", "col_refunded": "Đã hoàn", "col_share": "Tỷ lệ hoàn",
        "declarations": "Tờ khai hải quan",
        "col_flow": "Loại hình", "col_channel": "Luồng", "col_count": "Số tờ khai",
        "import": "nhập khẩu", "export": "xuất khẩu", "green": "xanh", "yellow": "vàng", "red": "đỏ",
        "release": "Thời gian thông quan (giờ)", "col_median": "Trung vị", "col_p90": "90% tờ khai trong", "col_cleared": "Đã thông quan",
        "enforcement": "Chống buôn lậu, gian lận thương mại (kỳ {first} \u2013 {last})",
        "col_category": "Loại vụ việc", "col_cases": "Số vụ", "col_value": "Trị giá hàng hóa", "col_prosecuted": "Khởi tố",
        "drugs": "Ma túy thu giữ", "col_unit": "Đơn vị", "col_quantity": "Số lượng",
        "quality": "Chất lượng dữ liệu",
        "freshness": "Nguồn: {text}", "latest_event": "Sự kiện mới nhất: {t}",
        "col_reason": "Lý do bị từ chối", "col_rejects": "Số bản tin",
        "none": "Không có.",
        "no_data": "Chưa có số liệu nào đến ngày này.",
        "no_targets": "Chưa có dự toán cho năm {year}: không tính được tiến độ.",
        "no_last_year": "Chưa có số liệu năm trước để so sánh cùng kỳ.",
        "silent_departments": "Một số cục chưa có số thu nào trong năm: ghi “chưa có số thu”.",
        "illustrative_targets": "Dự toán đánh dấu * là phân bổ minh họa, không phải số liệu công bố.",
        "this": "năm nay", "last": "năm trước", "plan": "kế hoạch ({level})", "axis": "tỷ đồng", "pace_axis": "% kế hoạch đến nay",
        "estimate": "dự toán", "striving": "phấn đấu", "assigned": "giao",
        "mix": "Cơ cấu luồng", "money": "tỷ đồng",
    },
    "en": {
        "title": "Customs revenue and operations briefing",
        "as_of": "Figures to the end of {day}",
        "illustrative_banner": "Simulated data, for illustration only: not official figures.",
        "headline": "National revenue",
        "collected": "Collected (net)",
        "of_level": "{pct} of the {level} target",
        "projection": "Projected for the year",
        "yoy": "Against the same period last year",
        "yoy_none": "no data for the same period last year",
        "burn_up": "Cumulative revenue against the seasonal plan",
        "league": "The 35 customs departments",
        "on_pace_count": "{k} of {n} departments on pace",
        "col_dept": "Department", "col_ytd": "To date", "col_target": "Target", "col_plan_pct": "% of plan to date",
        "col_proj_pct": "Projected % of target", "col_status": "Pace",
        "on_pace": "on pace", "behind": "behind", "no_events": "no revenue yet",
        "illustrative_mark": "* illustrative target (not official)",
        "level_assigned": "assigned", "level_striving": "striving",
        "shortfalls": "Tax types behind the largest shortfalls",
        "col_tax": "Tax type", "col_gap": "Gap to plan",
        "refunds": "Refunds",
        "refund_total": "{amount} refunded, {pct} of gross collections",
        "col_gross": "Gross", "col_refunded": "Refunded", "col_share": "Refund share",
        "declarations": "Declarations",
        "col_flow": "Flow", "col_channel": "Channel", "col_count": "Declarations",
        "import": "import", "export": "export", "green": "green", "yellow": "yellow", "red": "red",
        "release": "Release time (hours)", "col_median": "Median", "col_p90": "90% within", "col_cleared": "Cleared",
        "enforcement": "Enforcement (period {first} to {last})",
        "col_category": "Category", "col_cases": "Cases", "col_value": "Goods value", "col_prosecuted": "Prosecuted",
        "drugs": "Drugs seized", "col_unit": "Unit", "col_quantity": "Quantity",
        "quality": "Data quality",
        "freshness": "Source: {text}", "latest_event": "Latest event: {t}",
        "col_reason": "Reject reason", "col_rejects": "Messages",
        "none": "None.",
        "no_data": "No data up to this day.",
        "no_targets": "No targets for {year}: pace cannot be computed.",
        "no_last_year": "No data for the same period of the year before.",
        "silent_departments": "Some departments have no revenue this year: marked “no revenue yet”.",
        "illustrative_targets": "Targets marked * are illustrative allocations, not published figures.",
        "this": "this year", "last": "last year", "plan": "plan ({level})", "axis": "bn VND", "pace_axis": "% of plan to date",
        "estimate": "estimate", "striving": "striving", "assigned": "assigned",
        "mix": "Channel mix", "money": "bn VND",
    },
}  # fmt: skip


TAX_TYPES: dict[str, dict[str, str]] = {  # FACTS.md: the tax types collected at the border
    "vi": {
        "vat": "Thuế GTGT hàng nhập khẩu", "import_duty": "Thuế nhập khẩu", "export_duty": "Thuế xuất khẩu",
        "excise": "Thuế tiêu thụ đặc biệt", "environmental_protection": "Thuế bảo vệ môi trường",
        "anti_dumping": "Thuế chống bán phá giá", "countervailing": "Thuế chống trợ cấp", "safeguard": "Thuế tự vệ", "other": "Khác",
    },
    "en": {
        "vat": "VAT on imports", "import_duty": "Import duty", "export_duty": "Export duty", "excise": "Special consumption tax",
        "environmental_protection": "Environmental protection tax", "anti_dumping": "Anti-dumping duty",
        "countervailing": "Countervailing duty", "safeguard": "Safeguard duty", "other": "Other",
    },
}  # fmt: skip

SEIZURE_CATEGORIES: dict[str, dict[str, str]] = {  # FACTS.md and the contract's `category` values
    "vi": {
        "smuggling": "Buôn lậu", "illegal_transport": "Vận chuyển trái phép hàng hóa qua biên giới",
        "trade_fraud": "Gian lận thương mại", "origin_fraud": "Gian lận xuất xứ",
        "counterfeit_ip": "Hàng giả, xâm phạm quyền sở hữu trí tuệ", "drugs": "Ma túy", "wildlife": "Động vật hoang dã",
        "prohibited": "Hàng cấm", "other": "Khác",
    },
    "en": {
        "smuggling": "Smuggling", "illegal_transport": "Illegal cross-border transport", "trade_fraud": "Trade fraud",
        "origin_fraud": "Origin fraud", "counterfeit_ip": "Counterfeits and IP infringement", "drugs": "Drugs",
        "wildlife": "Wildlife", "prohibited": "Prohibited goods", "other": "Other",
    },
}  # fmt: skip

DRUG_UNITS: dict[str, dict[str, str]] = {  # the contract's `drug_unit` values; FACTS.md: never added across units
    "vi": {"kg": "kg", "brick": "bánh", "package": "gói", "tablet": "viên", "bag": "túi"},
    "en": {"kg": "kg", "brick": "bricks", "package": "packages", "tablet": "tablets", "bag": "bags"},
}


@dataclass(frozen=True)
class Style:
    """How numbers are written: Vietnamese 54.667 tỷ đồng and 81,6%; English 54,667 bn VND and 81.6%."""

    lang: str

    def number(self, value: float, decimals: int = 0) -> str:
        return number(value, decimals, self.lang)

    def bn(self, vnd: float | None) -> str:
        """Billions of đồng, whole (one decimal under 100 bn): streams.kpi.display's rule."""
        return "\u2013" if vnd is None else billions(vnd, self.lang)

    def money(self, vnd: float | None) -> str:
        return "\u2013" if vnd is None else f"{self.bn(vnd)} {WORDS[self.lang]['money'] if self.lang == 'en' else 'tỷ đồng'}"

    def pct(self, ratio: float | None) -> str:
        return "\u2013" if ratio is None else per_cent(ratio, self.lang)
