"""The overview as files: the table as XLSX and the city summary as PDF (WeasyPrint, through
reports.pdf like the county reports).

Both are made from the same rows as the page (city.selectors) and worded in Chinese whatever the
requester's language, as the official reports are. Every figure is a `reports.content.Num`: the
stored value, the text the PDF prints and the Excel format that shows the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone, translation
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from city.charts import share_trend_chart
from city.selectors import CvLine, Overview, Readiness, cv_matrix
from core import cells
from core.years import school_year_label
from indicators.presentation import LEVEL_LABELS
from reports.charts import with_report_font
from reports.content import DASH, Num, count, fixed, percent, verdict_text
from reports.pdf import REPORT_LANGUAGE, render_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
MATRIX_COUNTIES = 8  # counties per CV table in the PDF (a wider table does not fit A4)
HEADER_FILL = PatternFill("solid", fgColor="E8EDF2")
BAD = Font(color="C0392B")

TABLE_HEADERS = [
    "序号",
    "区县",
    "区县代码",
    "评估规则",
    "资源配置结论",
    "小学差异系数超线项",
    "初中差异系数超线项",
    "最高差异系数 / 标准",
    "学校达标率",
    "政府保障程度达标项",
    "教育质量达标项",
    "社会认可度",
    "待整改问题",
    "计划迎检日期",
]


def _area_text(area: Any) -> str:
    if area is None:
        return DASH
    text = f"{area.met}/{area.total}"
    return text + (f"(待定 {area.unknown})" if area.unknown else "")


def _over_text(row: Readiness, level: str) -> str:
    found = row.level(level)
    if found is None or not found.cvs:
        return DASH
    return f"{found.cv_over}/{len(found.cvs)}"


def worst_text(line: CvLine | None) -> str:
    if line is None or line.cv is None:
        return DASH
    limit = f" / {line.threshold:.2f}" if line.threshold is not None else ""
    return f"{LEVEL_LABELS.get(line.level, line.level)}{line.short} {line.cv:.3f}{limit}"


def table_rows(rows: Sequence[Readiness]) -> list[list[Num | str | int]]:
    """The comparison table (TABLE_HEADERS), one row per county, in the page's order."""
    out: list[list[Num | str | int]] = []
    for index, row in enumerate(rows, start=1):
        out.append(
            [
                index,
                row.name,
                row.code,
                row.profile_label or DASH,
                verdict_text(row.verdict) if row.has_result else "尚无计算结果",
                _over_text(row, "primary"),
                _over_text(row, "junior"),
                worst_text(row.worst),
                percent(row.share),
                _area_text(row.guarantee),
                _area_text(row.quality),
                percent(row.survey.rate) if row.survey else Num(None, DASH, "@"),
                count(row.open_problems),
                row.inspection_date.strftime("%Y-%m-%d") if row.inspection_date else DASH,
            ]
        )
    return out


def matrix_rows(rows: Sequence[Readiness]) -> list[dict[str, Any]]:
    """`selectors.cv_matrix` as the files show it: the line and each county's CV (3 decimals, as the
    pages) with whether it fails."""
    return [
        {
            "level": entry.level,
            "label": entry.label,
            "threshold": fixed(entry.threshold, 2, prefix="≤ ")
            if entry.threshold is not None
            else Num(None, DASH, "@"),
            "cells": [(fixed(c.cv, 3), c.passes is False) if c else (Num(None, DASH), False) for c in entry.cells],
        }
        for entry in cv_matrix(rows)
    ]


def trend_rows(data: Overview, rows: Sequence[Readiness]) -> list[list[Num | str]]:
    out: list[list[Num | str]] = []
    for row in rows:
        cells: list[Num | str] = [row.name]
        for point in data.trends.get(row.code, []):
            if point.has_result:
                cells += [f"{point.cv_over}/{point.cv_judged}", percent(point.share)]
            else:
                cells += [DASH, Num(None, DASH, "@")]
        out.append(cells)
    return out


def county_findings(row: Readiness) -> list[str]:
    """What keeps a county from the acceptance, in sentences from the stored figures."""
    out = []
    for line in row.failing_cvs:
        out.append(
            f"{LEVEL_LABELS.get(line.level, line.level)}{line.label}差异系数为 {line.cv:.3f},"
            f"高于 {line.threshold:.2f} 的标准。"
            if line.cv is not None and line.threshold is not None
            else f"{line.label}差异系数未达到标准。"
        )
    for level in row.levels:
        if level.composite_threshold is not None and level.passes is False and level.composite is not None:
            out.append(
                f"{level.label}综合差异系数为 {level.composite:.3f},高于 {level.composite_threshold:.2f} 的标准。"
            )
    if row.assessed and row.passing < row.assessed:
        out.append(f"{row.assessed} 个计算单元中 {row.assessed - row.passing} 个未达到学校达标要求。")
    for name, area in (("政府保障程度", row.guarantee), ("教育质量", row.quality)):
        if area is not None and area.failed:
            out.append(f"{name} {area.total} 项中 {area.failed} 项未达标。")
    if row.survey is not None and row.survey.verdict is False and row.survey.rate is not None:
        out.append(f"社会认可度 {row.survey.rate * 100:.1f}%,低于 {row.survey.threshold * 100:g}% 的标准。")
    if row.open_problems:
        out.append(f"问题清单中尚有 {row.open_problems} 个问题待整改。")
    if not row.has_result:
        out.append("本学年尚无资源配置计算结果。")
    return out


def summary_lines(data: Overview, rows: Sequence[Readiness]) -> list[str]:
    """The opening paragraph's sentences: counts of counties by verdict and the extremes."""
    with_result = [r for r in rows if r.has_result]
    passing = sum(1 for r in with_result if r.verdict is True)
    failing = sum(1 for r in with_result if r.verdict is False)
    lines = [
        f"本表汇总 {len(rows)} 个区县{school_year_label(data.year) if data.year else ''}的义务教育均衡发展推进情况,"
        f"其中 {len(with_result)} 个区县已有资源配置计算结果:校际差异系数达到要求的 {passing} 个、未达到的 {failing} 个"
        f"{f'、无法判定的 {len(with_result) - passing - failing} 个' if len(with_result) - passing - failing else ''}。"
    ]
    shares = [r for r in with_result if r.share is not None]
    if shares:
        best = max(shares, key=lambda r: r.share or 0.0)
        worst = min(shares, key=lambda r: r.share or 0.0)
        lines.append(
            f"学校达标率(按计算单元)最高为{best.name}({percent(best.share)}),最低为{worst.name}({percent(worst.share)})。"
        )
    problems = sum(r.open_problems for r in rows)
    lines.append(f"各区县问题清单中待整改的问题合计 {problems} 个。")
    if any(r.preview for r in with_result):
        names = "、".join(r.name for r in with_result if r.preview)
        lines.append(f"{names}的部分学校统计数据尚未审核,其结果为预览。")
    if data.cut:
        lines.append(f"另有 {data.cut} 个区县未列入本表(每次最多汇总 {len(rows)} 个区县)。")
    return lines


# --- XLSX ---------------------------------------------------------------------------------------


def _write(ws: Any, row: int, values: Sequence[Num | str | int | None], *, bad: Sequence[bool] = ()) -> None:
    """One row of cells: a Num as its stored value with the format that shows its text."""
    for column, value in enumerate(values, start=1):
        if isinstance(value, Num):
            cell = ws.cell(row, column, value.text if value.value is None else value.value)
            if value.value is not None:
                cell.number_format = value.fmt
        else:
            cell = ws.cell(row, column, value)
        if column - 1 < len(bad) and bad[column - 1]:
            cell.font = BAD


def _header(ws: Any, row: int, headers: Sequence[str], widths: Sequence[float] = ()) -> None:
    for column, text in enumerate(headers, start=1):
        cell = ws.cell(row, column, text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _workbook() -> Any:
    """The workbook every sheet is written into: the project's one cell writer (core.cells), so
    a county named like a formula is written as text."""
    return cells.workbook()


def overview_xlsx(data: Overview, rows: Sequence[Readiness]) -> bytes:
    import io

    with translation.override(REPORT_LANGUAGE):
        book = _workbook()
        ws = book.active
        ws.title = "区县对比"
        ws.cell(1, 1, f"区县义务教育均衡发展推进情况对比({school_year_label(data.year) if data.year else '—'})")
        ws.cell(1, 1).font = Font(bold=True, size=13)
        _header(ws, 3, TABLE_HEADERS, [6, 16, 10, 24, 12, 10, 10, 30, 10, 12, 12, 10, 10, 12])
        for offset, values in enumerate(table_rows(rows)):
            _write(ws, 4 + offset, values)
        ws.freeze_panes = "C4"

        cvs = book.create_sheet("差异系数")
        _header(cvs, 1, ["学段", "指标", "标准", *[r.name for r in rows]], [8, 34, 10, *[12] * len(rows)])
        for offset, entry in enumerate(matrix_rows(rows)):
            cells = [entry["level"], entry["label"], entry["threshold"], *[c for c, _bad in entry["cells"]]]
            _write(cvs, 2 + offset, cells, bad=[False, False, False, *[b for _c, b in entry["cells"]]])

        trend = book.create_sheet("历年趋势")
        headers = ["区县"]
        for year in data.trend_years:
            headers += [f"{year} 超线项", f"{year} 学校达标率"]
        _header(trend, 1, headers, [16, *[12] * (len(headers) - 1)])
        for offset, cells in enumerate(trend_rows(data, rows)):
            _write(trend, 2 + offset, cells)

        notes = book.create_sheet("说明")
        for offset, line in enumerate([*summary_lines(data, rows), *NOTES], start=1):
            notes.cell(offset, 1, line)
        notes.column_dimensions["A"].width = 120
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()


NOTES = (
    "差异系数、县域结论与学校达标情况读自各区县存储的计算结果,与各区县“均衡状况”页面一致(差异系数保留三位小数)。",
    "超线项:差异系数高于标准的指标数 / 指标总数。学校达标率按计算单元计(一贯制学校按学段拆分)。",
    "政府保障程度、教育质量:达标项 / 检查项总数,“待定”为尚待填报或无法判定的项。",
    "待整改问题为生成本表时问题清单中未关闭的问题。",
)


# --- PDF ----------------------------------------------------------------------------------------


def overview_context(data: Overview, rows: Sequence[Readiness], *, author: str) -> dict[str, Any]:
    names = {r.code: r.name for r in rows}
    matrix = matrix_rows(rows)
    chunks = []
    for start in range(0, len(rows), MATRIX_COUNTIES):
        part = rows[start : start + MATRIX_COUNTIES]
        chunks.append(
            {
                "counties": [r.name for r in part],
                "rows": [
                    {**entry, "cells": entry["cells"][start : start + MATRIX_COUNTIES]}
                    for entry in matrix
                    if any(c.value is not None for c, _b in entry["cells"][start : start + MATRIX_COUNTIES])
                ],
            }
        )
    chart = share_trend_chart(data.trend_years, {r.code: data.trends.get(r.code, []) for r in rows}, names)
    year_label = school_year_label(data.year) if data.year else ""
    return {
        "title": "区县义务教育均衡发展推进情况汇总",
        "year_label": year_label,
        "author": author,
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "summary": summary_lines(data, rows),
        "headers": TABLE_HEADERS[1:2] + TABLE_HEADERS[4:],
        "table": [[values[1], *values[4:]] for values in table_rows(rows)],
        "matrices": chunks,
        "trend_years": data.trend_years,
        "trend": trend_rows(data, rows),
        "chart": with_report_font(str(chart)) if chart else "",
        "findings": [{"name": r.name, "lines": county_findings(r)} for r in rows],
        "notes": NOTES,
    }


def overview_pdf(data: Overview, rows: Sequence[Readiness], *, author: str) -> bytes:
    with translation.override(REPORT_LANGUAGE):
        context = overview_context(data, rows, author=author)
        return render_pdf("city/pdf/overview.html", context, expected_pages=4).data
