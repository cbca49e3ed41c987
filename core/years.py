"""School years: a school year is named by the year it starts (2025 = 2025—2026学年)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def current_school_year() -> int:
    """The school year in progress; it starts on 1 September (统计时点 9月1日)."""
    today = timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def school_year_label(year: int) -> str:
    return f"{year}—{year + 1}学年"


def document_date(day: datetime.date) -> str:
    """A document's date as Chinese official documents write it (成文日期 in Arabic numerals,
    GB/T 9704): 2026年12月7日."""
    return f"{day.year}年{day.month}月{day.day}日"
