"""The overview's trend charts, drawn on the server with the balance page's line chart
(indicators.charts.trend_lines) from the stored figures the tables show."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from city.selectors import LEVELS, Readiness, TrendPoint
from indicators.chart_data import lines_spec
from indicators.charts import trend_lines
from indicators.presentation import LEVEL_LABELS


def share_trend_chart(
    years: Sequence[int], trends: Mapping[str, Sequence[TrendPoint]], names: Mapping[str, str]
) -> SafeString | None:
    """Each county's share of evaluation units meeting the school rule, year by year (0–1)."""
    if len(years) < 2 or not trends:
        return None
    series = [(names.get(code, code), [p.share for p in points]) for code, points in trends.items()]
    return mark_safe(trend_lines(years, series, axis=_("学校达标率")))  # noqa: S308 - the chart escapes its text


def share_trend_spec(
    years: Sequence[int], trends: Mapping[str, Sequence[TrendPoint]], names: Mapping[str, str]
) -> dict[str, object] | None:
    """The same figures for the page's ECharts chart (indicators/chart_data.py), in percent."""
    if len(years) < 2 or not trends:
        return None
    series = [
        (names.get(code, code), [None if p.share is None else p.share * 100 for p in points])
        for code, points in trends.items()
    ]
    return lines_spec(years, series, axis=_("学校达标率"), unit="%", digits=1)


def cv_trend_charts(years: Sequence[Readiness]) -> list[dict[str, object]]:
    """Per level, each indicator's CV year by year, with the line when all indicators share it."""
    if len(years) < 2:
        return []
    out: list[dict[str, object]] = []
    for level in LEVELS:
        series: dict[str, list[float | None]] = {}
        thresholds: set[float] = set()
        for index, year in enumerate(years):
            found = year.level(level)
            for line in found.cvs if found else ():
                values = series.setdefault(_(line.short), [None] * len(years))
                values[index] = line.cv
                if line.threshold is not None:
                    thresholds.add(line.threshold)
        if series:
            threshold = thresholds.pop() if len(thresholds) == 1 else None
            svg = trend_lines([y.year for y in years], list(series.items()), threshold=threshold)
            spec = lines_spec([y.year for y in years], list(series.items()), axis=_("差异系数"), threshold=threshold)
            out.append({"label": LEVEL_LABELS[level], "level": level, "svg": mark_safe(svg), "spec": spec})  # noqa: S308
    return out
