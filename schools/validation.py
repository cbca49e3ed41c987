"""Validation rules for a school-year's statistics: pure functions, no database.

The same rules serve the browser form, the importer and (later) the API, so a message is
written once. Messages are Chinese source strings; English comes from locale/en.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .fields import STAT_FIELD_BY_KEY, STAT_FIELDS, TYPE_SECTIONS, display_label, section_label

Number = int | float | Decimal
# A change of more than this share against last year needs a written reason.
JUMP_RATIO = 0.5
# What the database columns can hold (PositiveIntegerField; DecimalField(14, 2)).
MAX_COUNT = 2_147_483_647
MAX_AMOUNT = Decimal(10) ** 12
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass
class CheckResult:
    """Errors block a save; warnings need a reason (given in `reasons`) before saving."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_value(key: str, raw: Any) -> tuple[Number | None, str | None]:
    """Turn one raw cell or form value into a number, or say why it is not one.

    Empty means "not reported" (None). Counts must be non-negative integers; areas and money
    non-negative numbers. Thousands separators are accepted where unambiguous ("1,200",
    "1,200.5"; not "1.200,5"). A date is not a number.
    """
    spec = STAT_FIELD_BY_KEY[key]
    if raw is None:
        return None, None
    if isinstance(raw, bool):
        return None, _("应为数字")
    if isinstance(raw, str):
        # Full-width digits and commas (typed with a Chinese IME) read as ASCII ones.
        text = unicodedata.normalize("NFKC", raw).strip()
        if text.replace(",", "").strip() == "":
            return None, None
        if "," in text:
            # Thousands separators only where they are unambiguous: "1,200" and "1,200.5", never
            # "1.200,5" or "12,00" (a decimal comma, or a typo).
            if not _GROUPED.match(text):
                return None, _("数字格式不明确,收到“%(raw)s”:千位分隔符应为“1,200.5”的形式,或直接写 1200.5") % {
                    "raw": raw.strip()
                }
            text = text.replace(",", "")
        try:
            value = Decimal(text)
        except ArithmeticError:
            return None, _("应为数字,收到“%(raw)s”") % {"raw": raw.strip()}
    elif isinstance(raw, date | time | timedelta):
        # A spreadsheet cell formatted as a date: Excel shows 1900-04-30 for 120.
        return None, _("应为数字,该单元格是日期或时间(%(raw)s):请把单元格格式改为“常规”或“数值”") % {"raw": raw}
    elif isinstance(raw, int | float | Decimal):
        value = Decimal(str(raw))
    else:
        return None, _("应为数字")
    if not value.is_finite():
        return None, _("应为数字")
    if value < 0:
        return None, _("不能为负数")
    if spec.integer:
        if value != value.to_integral_value():
            return None, _("应为整数")
        if value > MAX_COUNT:
            return None, _("数值过大")
        return int(value), None
    # The columns hold 14 digits with 2 decimal places (schools.models._amount).
    if value >= MAX_AMOUNT:
        return None, _("数值过大")
    if value != value.quantize(Decimal("0.01")):
        return None, _("最多保留两位小数")
    return value, None


def check_statistics(
    values: Mapping[str, Number | None],
    *,
    school_type: str,
    previous: Mapping[str, Number | None] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> CheckResult:
    """Check a complete set of parsed values (STAT_FIELDS keys) for one school and year.

    Rules (issue #2): sub-counts never exceed their totals (qualified, mid-title, backbone and
    PE/art teachers ≤ the section's teachers; indoor sports area ≤ teaching area); a section the
    school type lacks has no students or teachers; a class cannot be larger than its section,
    and the largest class is at least the average class; changes of more than 50 % against last
    year are warnings that need a written reason.
    """
    result = CheckResult()
    for spec in STAT_FIELDS:
        value = values.get(spec.key)
        if value is not None and value < 0:
            result.error(spec.key, _("不能为负数"))
        total_key = spec.total
        if value is not None and total_key is not None:
            total = values.get(total_key)
            if total is not None and value > total:
                result.error(
                    spec.key,
                    _("%(field)s(%(value)s)不能超过%(total_label)s(%(total)s)")
                    % {
                        "field": display_label(spec.label),
                        "value": _fmt(value),
                        "total_label": display_label(STAT_FIELD_BY_KEY[total_key].label),
                        "total": _fmt(total),
                    },
                )

    sections = TYPE_SECTIONS.get(school_type, ())
    for spec in STAT_FIELDS:
        if spec.section and spec.section not in sections and values.get(spec.key):
            result.error(
                spec.key,
                _("该校类型没有%(section)s学段,%(field)s应为空或 0")
                % {"section": section_label(spec.section), "field": display_label(spec.label)},
            )

    for section in ("primary", "junior"):
        students = values.get(f"students_{section}")
        classes = values.get(f"classes_{section}")
        largest = values.get(f"max_class_size_{section}")
        if students and classes == 0:
            result.error(f"classes_{section}", _("有在校生时班级数不能为 0"))
        if largest is not None and students is not None and largest > students:
            result.error(f"max_class_size_{section}", _("最大班额不能超过该学段在校生数"))
        if largest is not None and students and classes:
            average = math.ceil(Decimal(students) / Decimal(classes))
            if largest < average:
                result.error(
                    f"max_class_size_{section}",
                    _("最大班额(%(largest)s)小于平均班额(%(average)s)") % {"largest": largest, "average": average},
                )

    if previous:
        given = reasons or {}
        for spec in STAT_FIELDS:
            old, new = previous.get(spec.key), values.get(spec.key)
            if old is None or new is None or old == 0:
                continue
            before, after = Decimal(str(old)), Decimal(str(new))
            change = (after - before) / before
            if abs(change) > Decimal(str(JUMP_RATIO)) and not given.get(spec.key, "").strip():
                result.warnings[spec.key] = _("%(field)s较上年变化 %(pct)s%%(%(old)s → %(new)s),请填写变动说明") % {
                    "field": display_label(spec.label),
                    "pct": f"{change * 100:+.0f}",
                    "old": _fmt(old),
                    "new": _fmt(new),
                }
    return result


def _fmt(value: Number) -> str:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return str(value)
