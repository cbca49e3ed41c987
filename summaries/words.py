"""How the summaries word figures: counts, shares, CVs and their change from last year.

CVs are printed with three decimals and standards and lines as the pages print them, so a figure
in a summary reads the same as on the balance page. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

DASH = "—"


def count(value: int | float | None, unit: str = "") -> str:
    return DASH if value is None else f"{round(value):,}{unit}"


def plain(value: float | None) -> str:
    """As the pages' `num` filter: no trailing zeros, at most two decimals (standards, targets)."""
    if value is None:
        return DASH
    number = float(value)
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def cv(value: float | None) -> str:
    """A CV as the balance page shows it: three decimals."""
    return DASH if value is None else f"{value:.3f}"


def line(value: float | None) -> str:
    """A CV's line (threshold) as the pages show it: two decimals."""
    return DASH if value is None else f"{value:.2f}"


def percent(share: float | None, places: int = 1) -> str:
    return DASH if share is None else f"{share * 100:.{places}f}%"


def change_count(now: int | float | None, before: int | float | None, unit: str) -> str:
    """比上年增加 120 人 / 减少 / 与上年持平; "上年无数据" when there is nothing to compare."""
    if now is None or before is None:
        return "上年无可比数据"
    delta = round(now) - round(before)
    if delta == 0:
        return "与上年持平"
    return f"比上年{'增加' if delta > 0 else '减少'} {abs(delta):,} {unit}".rstrip()


def change_share(now: float | None, before: float | None) -> str:
    """提高 3.2 个百分点 / 降低 / 与上年持平 (shares 0..1)."""
    if now is None or before is None:
        return "上年无可比数据"
    delta = round((now - before) * 100, 1)
    if delta == 0:
        return "与上年持平"
    return f"比上年{'提高' if delta > 0 else '降低'} {abs(delta):.1f} 个百分点"


def change_cv(now: float | None, before: float | None) -> str:
    """A CV's change at three decimals; lower is better (缩小 = the schools came closer)."""
    if now is None or before is None:
        return "上年无可比数据"
    delta = round(now, 3) - round(before, 3)
    if abs(delta) < 0.0005:
        return "与上年持平"
    return f"比上年{'下降' if delta < 0 else '上升'} {abs(delta):.3f}"


def delta_cell(now: float | None, before: float | None, places: int = 0) -> str:
    """A table cell of the change: +120 / −35 / 0."""
    if now is None or before is None:
        return DASH
    delta = round(now - before, places)
    if delta == 0:
        return "0"
    sign = "+" if delta > 0 else "−"
    return f"{sign}{abs(delta):,.{places}f}"


def verdict(passes: bool | None) -> str:
    return "达标" if passes is True else "未达标" if passes is False else "无法判定"


def names(items: Sequence[str], limit: int = 8) -> str:
    """A list of names, the first `limit` and "等 N 所" for the rest."""
    shown = "、".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}等 {len(items)} 所"


def chinese_number(n: int) -> str:
    """1 → 一 … 20 → 二十 (section numbers)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    tens, ones = divmod(n, 10)
    return digits[tens] + "十" + (digits[ones] if ones else "")
