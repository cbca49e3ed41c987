"""Charts as SVG strings, drawn on the server: the same picture in the page and the PDF.

Pure functions over plain numbers; the caller marks the result safe. Text is escaped here. The
charts' own words (axis, legend) are said in the active language, as the labels the caller
passes are: a page in English draws an English chart, a report (rendered in Chinese) a Chinese one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _

OK, BAD, MUTED, INK, LINE = "#1f8a4c", "#c0392b", "#a0aab4", "#1f2933", "#d9dee4"
FONT = 'font-family="Noto Sans CJK SC, sans-serif"'


def text_width(text: str, size: float) -> float:
    """About how wide `text` is drawn at `size`: CJK characters are square, others about half."""
    return sum(size if ord(char) >= 0x2E80 else size * 0.55 for char in text)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    threshold: float | None


def cv_bars(bars: Sequence[Bar], *, width: int = 600, title: str = "") -> str:
    """Horizontal bars of each indicator's CV with its threshold drawn as a red tick."""
    row, left, right, top = 26, 230, 50, 24 if title else 6
    height = top + row * len(bars) + 38  # the scale, then the axis title
    values = [b.value for b in bars if b.value is not None] + [b.threshold for b in bars if b.threshold is not None]
    scale_max = max([0.6, *values]) * 1.1
    plot = width - left - right

    def x(v: float) -> float:
        return left + plot * v / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title or _("差异系数"))}">'
    ]
    if title:
        parts.append(f'<text x="0" y="15" font-size="13" {FONT} fill="{INK}">{escape(title)}</text>')
    for i, bar in enumerate(bars):
        y = top + i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 16}" font-size="11" text-anchor="end" {FONT} fill="{INK}">'
            f"{escape(bar.label)}</text>"
        )
        if bar.value is None:
            parts.append(
                f'<text x="{left + 4}" y="{y + 16}" font-size="11" {FONT} fill="{MUTED}">{escape(_("无定义"))}</text>'
            )
        else:
            fails = bar.threshold is not None and bar.value > bar.threshold
            color = BAD if fails else OK
            parts.append(
                f'<rect x="{left}" y="{y + 5}" width="{max(x(bar.value) - left, 1):.1f}" height="14" '
                f'fill="{color}" opacity="0.85"/>'
                f'<text x="{x(bar.value) + 4:.1f}" y="{y + 16}" font-size="11" {FONT} fill="{INK}">'
                f"{bar.value:.3f}</text>"
            )
        if bar.threshold is not None:
            tx = x(bar.threshold)
            parts.append(
                f'<line x1="{tx:.1f}" y1="{y + 2}" x2="{tx:.1f}" y2="{y + 22}" stroke="{BAD}" stroke-width="2"/>'
            )
    axis_y = top + row * len(bars) + 4
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot}" y2="{axis_y}" stroke="{LINE}"/>')
    for tick in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5):
        if tick > scale_max:
            break
        parts.append(
            f'<text x="{x(tick):.1f}" y="{axis_y + 14}" font-size="10" text-anchor="middle" {FONT} '
            f'fill="{MUTED}">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{left - 6}" y="{axis_y + 14}" font-size="10" text-anchor="end" {FONT} fill="{INK}">'
        f"{escape(_('差异系数'))}</text>"
    )
    # The legend under the scale: within / above the standard, and the standard's tick; each
    # entry placed after the previous one's text, whatever the language's word lengths.
    legend_y = axis_y + 21
    lx = float(left)
    for color, label in ((OK, _("达标")), (BAD, _("超过标准"))):
        parts.append(
            f'<rect x="{lx:.0f}" y="{legend_y}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14:.0f}" y="{legend_y + 9}" font-size="10" {FONT} fill="{INK}">{escape(label)}</text>'
        )
        lx += 14 + text_width(label, 10) + 12
    parts.append(
        f'<line x1="{lx + 4:.0f}" y1="{legend_y - 1}" x2="{lx + 4:.0f}" y2="{legend_y + 11}" stroke="{BAD}" '
        'stroke-width="2"/>'
        f'<text x="{lx + 10:.0f}" y="{legend_y + 9}" font-size="10" {FONT} fill="{INK}">{escape(_("标准(≤)"))}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def trend_lines(
    years: Sequence[int],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    threshold: float | None = None,
    width: int = 560,
    height: int = 180,
    axis: str | None = None,
) -> str:
    """CV per year for a few indicators (the value axis named `axis`, by default the CV), with
    the threshold as a labelled dashed line and a legend."""
    axis = axis if axis is not None else _("差异系数")
    left, right, top, bottom = 40, 150, 18, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _n, vs in series for v in vs if v is not None] + ([threshold] if threshold else [])
    vmax = max([0.1, *values]) * 1.15
    n = max(len(years) - 1, 1)
    palette = ["#1d4e89", "#2b9348", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563", "#65a30d"]

    def pos(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / n, top + plot_h * (1 - v / vmax)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("趋势"))}">'
    ]
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{LINE}"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{LINE}"/>')
    for k in range(5):  # the value scale
        value = vmax * k / 4
        _x, ty = pos(0, value)
        parts.append(
            f'<text x="{left - 4}" y="{ty + 3:.1f}" font-size="9" text-anchor="end" {FONT} '
            f'fill="{MUTED}">{value:.3g}</text>'
        )
    parts.append(f'<text x="0" y="10" font-size="10" {FONT} fill="{INK}">{escape(axis)}</text>')
    for i, year in enumerate(years):
        px, _py = pos(i, 0)
        parts.append(
            f'<text x="{px:.1f}" y="{height - 6}" font-size="10" text-anchor="middle" {FONT} '
            f'fill="{MUTED}">{year}</text>'
        )
    if threshold is not None:
        _x, ty = pos(0, threshold)
        parts.append(
            f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="{BAD}" '
            f'stroke-dasharray="4 3"/>'
            f'<text x="{left + plot_w - 2}" y="{ty - 3:.1f}" font-size="10" text-anchor="end" {FONT} '
            f'fill="{BAD}">{escape(_("标准 %(value)s") % {"value": f"{threshold:g}"})}</text>'
        )
    for k, (name, vs) in enumerate(series):
        color = palette[k % len(palette)]
        points = [pos(i, v) for i, v in enumerate(vs) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for px, py in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>')
        ly = top + 12 + k * 14
        parts.append(
            f'<rect x="{left + plot_w + 10}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + plot_w + 24}" y="{ly + 1}" font-size="10" {FONT} fill="{INK}">{escape(name[:12])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
