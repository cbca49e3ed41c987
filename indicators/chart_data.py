"""The figures of page charts, for ECharts (static/js/charts.js): plain JSON-safe dicts written
into the page with json_script (no inline script under the content security policy).

Built from the same stored figures as the tables beside them; nothing is computed here. The PDF
draws the same charts as SVG (indicators/charts.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from indicators.charts import Bar


def cv_bars_spec(bars: Sequence[Bar], *, title: str, short: Sequence[str] | None = None) -> dict[str, Any]:
    """Each indicator's CV against its threshold (horizontal bars), named by `short` labels on the
    axis when given (the full label is in the tooltip)."""
    return {
        "kind": "bars",
        "title": title,
        "axis": _("差异系数"),
        "categories": list(short) if short else [b.label for b in bars],
        "full": [b.label for b in bars],
        "values": [None if b.value is None else round(b.value, 4) for b in bars],
        "thresholds": [b.threshold for b in bars],
        "digits": 3,
        "labels": {"value": _("差异系数"), "standard": _("标准")},
    }


def lines_spec(
    years: Sequence[int],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    axis: str,
    threshold: float | None = None,
    unit: str = "",
    digits: int = 3,
    title: str = "",
    threshold_label: str = "",
) -> dict[str, Any]:
    """Values per school year for a few series, with the threshold as a line labelled
    `threshold_label` (标准 by default)."""
    return {
        "kind": "lines",
        "title": title,
        "axis": axis,
        "unit": unit,
        "x": [str(y) for y in years],
        "x_axis": _("学年"),
        "series": [
            {"name": name, "data": [None if v is None else round(v, 4) for v in values]} for name, values in series
        ],
        "threshold": threshold,
        "digits": digits,
        "labels": {"standard": threshold_label or _("标准")},
    }
