"""Report charts as SVG strings: compliance by indicator, schools by indicators met, school ratios.

Pure functions over plain numbers, in the style of indicators/charts.py (whose CV chart the
report reuses); every text is escaped here, so the caller may mark the result safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from indicators.charts import BAD, FONT, INK, LINE, MUTED, OK

# The report's own subset font first (static/reports/fonts), the system CJK font for the rest.
BRAND = "#1d4e89"
LABEL_ROOM = 16  # px above a bar for its value (11 px text and a gap)
REPORT_FONT = 'font-family="Report Sans SC, Noto Sans CJK SC, sans-serif"'


def with_report_font(svg: str) -> str:
    """An indicators.charts SVG drawn with the report's font.

    Those charts name the system CJK font, which WeasyPrint would then load and subset on every
    render (seconds); the text and the layout are unchanged.
    """
    return svg.replace(FONT, REPORT_FONT)


def share_bars(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    title: str,
    width: int = 600,
    scale_max: float = 1.0,
    reference: float | None = None,
) -> str:
    """Horizontal bars of a share per row (1 = 100%), each followed by its detail ("18/24").

    With `reference` (e.g. 1.0 = the standard) a red line marks it and bars below it are red;
    without, bars are neutral: a share of schools is a fact, not a verdict.
    """
    row, left, right, top = 24, 230, 110, 24
    height = top + row * len(rows) + 22
    plot = width - left - right
    scale = max([scale_max, *[s for _l, s, _d in rows if s is not None]])

    def x(share: float) -> float:
        return left + plot * min(share, scale) / scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="15" font-size="13" {REPORT_FONT} fill="{INK}">{escape(title)}</text>',
    ]
    for i, (label, share, detail) in enumerate(rows):
        y = top + i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" font-size="11" text-anchor="end" {REPORT_FONT} fill="{INK}">'
            f"{escape(label)}</text>"
        )
        if share is None:
            parts.append(f'<text x="{left + 4}" y="{y + 15}" font-size="11" {REPORT_FONT} fill="{MUTED}">—</text>')
            continue
        color = BRAND if reference is None else (OK if share >= reference else BAD)
        end = max(x(share), left + 1)
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{end - left:.1f}" height="14" fill="{color}" opacity="0.85"/>'
            f'<text x="{end + 4:.1f}" y="{y + 15}" font-size="11" {REPORT_FONT} fill="{INK}">'
            f"{share * 100:.1f}% {escape(detail)}</text>"
        )
    axis_y = top + row * len(rows) + 4
    if reference is not None:
        rx = x(reference)
        parts.append(f'<line x1="{rx:.1f}" y1="{top}" x2="{rx:.1f}" y2="{axis_y}" stroke="{BAD}" stroke-width="1.5"/>')
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot}" y2="{axis_y}" stroke="{LINE}"/>')
    step = 25 if scale <= 1.0 else 50
    for tick in range(0, int(scale * 100) + 1, step):
        parts.append(
            f'<text x="{x(tick / 100):.1f}" y="{axis_y + 14}" font-size="10" text-anchor="middle" {REPORT_FONT} '
            f'fill="{MUTED}">{tick}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def met_histogram(counts: Sequence[tuple[str, int, bool]], *, title: str, width: int = 600) -> str:
    """Vertical bars: how many schools met 7, 6, 5 … indicators; `passing` bars are green.

    The tallest bar leaves LABEL_ROOM under the title for its count, so the two never overlap.
    """
    height, top, bottom, left = 186, 24, 24, 30
    plot_h = height - top - bottom
    n = max(len(counts), 1)
    slot = (width - left) / n
    vmax = max([1, *[c for _l, c, _p in counts]])
    bar_room = plot_h - LABEL_ROOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="0" y="15" font-size="13" {REPORT_FONT} fill="{INK}">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}" stroke="{LINE}"/>',
    ]
    for i, (label, count, passing) in enumerate(counts):
        h = bar_room * count / vmax
        x = left + i * slot + slot * 0.2
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
            f'fill="{OK if passing else BAD}" opacity="0.85"/>'
            f'<text x="{x + slot * 0.3:.1f}" y="{top + plot_h - h - 3:.1f}" font-size="11" text-anchor="middle" '
            f'{REPORT_FONT} fill="{INK}">{count}</text>'
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 8}" font-size="10" text-anchor="middle" {REPORT_FONT} '
            f'fill="{MUTED}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["REPORT_FONT", "met_histogram", "share_bars", "with_report_font"]
