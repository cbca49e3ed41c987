"""School years: a school year is named by the year it starts (2025 = 2025—2026学年)."""

from __future__ import annotations

from django.utils import timezone


def current_school_year() -> int:
    """The school year in progress; it starts on 1 September (统计时点 9月1日)."""
    today = timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


def school_year_label(year: int) -> str:
    return f"{year}—{year + 1}学年"
