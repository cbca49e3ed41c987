"""The reports as spreadsheets (openpyxl): the same tables as the PDF, from the same context.

Numbers are written as the stored values (full precision) with an Excel number format that
displays exactly the PDF's text (reports.content.Num), so a reader sees the same figures and
can still compute with them. Cells are written through core.cells (no text becomes a formula).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import cells
from reports.content import Num

HEADER_FILL = PatternFill("solid", fgColor="E8EDF2")
BOLD = Font(bold=True)
RED = Font(color="C0392B")
TITLE = Font(bold=True, size=13, color="1D4E89")
WRAP = Alignment(wrap_text=True, vertical="top")

Cell = Num | str | int | float | None


class _Sheet:
    """Writes titled tables one under the other on a worksheet."""

    def __init__(self, ws: Any, widths: Sequence[float] = ()) -> None:
        self.ws = ws
        self.row = 1
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width

    def title(self, text: str) -> None:
        self.ws.cell(self.row, 1, text).font = TITLE
        self.row += 1

    def line(self, *cells: Cell) -> None:
        self._write(cells)

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[Cell]], *, bad: Iterable[Sequence[bool]] = ()
    ) -> None:
        for col, text in enumerate(headers, start=1):
            cell = self.ws.cell(self.row, col, text)
            cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP
        self.row += 1
        flags = list(bad)
        for i, row in enumerate(rows):
            self._write(row, flags[i] if i < len(flags) else ())
        self.row += 1

    def _write(self, cells: Sequence[Cell], bad: Sequence[bool] = ()) -> None:
        for col, value in enumerate(cells, start=1):
            if isinstance(value, Num):
                cell = self.ws.cell(self.row, col, value.text if value.value is None else value.value)
                if value.value is not None:
                    cell.number_format = value.fmt
            else:
                cell = self.ws.cell(self.row, col, value)
            if col - 1 < len(bad) and bad[col - 1]:
                cell.font = RED
        self.row += 1


def _sheet(wb: Any, title: str, widths: Sequence[float] = ()) -> _Sheet:
    return _Sheet(wb.create_sheet(title), widths)


def _about(wb: Any, context: dict[str, Any]) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "说明"
    sheet = _Sheet(ws, (18, 90))
    sheet.title(context["title"])
    result, profile = context["result"], context["profile"]
    for label, value in (
        ("学年", context["year_label"]),
        ("评估规则", f"{profile['label']}({profile['name']})第 {profile['version']} 版"),
        ("计算时间", result["computed_at"]),
        ("数据指纹", result["fingerprint"]),
        ("学校数据", f"{result['units_total']} 所学校参与计算,其中 {result['units_approved']} 所已审核"),
        ("数据状态", "学校数据已变更,结果待重新计算" if result["stale"] else "结果与当前数据一致"),
        ("生成时间", context["generated_at"]),
    ):
        sheet.line(label, value)
    if result["preview"]:
        sheet.line("注意", "含未审核数据,结果为预览")


def _approvals(wb: Any, rows: list[dict[str, str]]) -> None:
    sheet = _sheet(wb, "审核记录", (34, 14, 12, 20, 18, 40))
    sheet.table(
        ["学校", "标识码", "操作", "操作人", "时间", "说明"],
        [[a["name"], a["code"], a["action"], a["user"], a["at"], a["reason"]] for a in rows],
    )


def county_workbook(context: dict[str, Any]) -> bytes:
    """The county report's tables: 基本情况, 资源配置, 差距, 差异系数, 计算明细, 问题清单, 规划, 审核记录."""
    wb = cells.workbook()
    _about(wb, context)
    facts = context["facts"]
    sheet = _sheet(wb, "基本情况", (22, 10, 10, 10, 10))
    sheet.title("表1 学校分类型、分城乡情况(所)")
    sheet.table(
        ["学校类型", *facts["areas"], "合计"],
        [
            *([r["label"], *r["cells"], r["total"]] for r in facts["table"]),
            ["合计", *facts["totals"], facts["schools"]],
        ],
    )
    sheet.table(
        ["学段", "在校生(人)", "专任教师(人)"],
        [
            ["小学", facts["students"]["primary"], facts["teachers"]["primary"]],
            ["初中", facts["students"]["junior"], facts["teachers"]["junior"]],
        ],
    )
    for i, lv in enumerate(context["units"]["levels"], start=1):
        sheet = _sheet(wb, f"资源配置-{lv['label']}", (30, 12, 9, *[11] * len(lv["columns"]), 8, 9))
        sheet.title(f"表2-{i} {lv['label']}各校资源配置指标")
        headers = ["学校", "标识码", "学生数"]
        headers += [
            f"{c['label']}({c['unit']})" + (f" ≥{c['standard'].text}" if c["standard"].value is not None else "")
            for c in lv["columns"]
        ]
        sheet.table(
            [*headers, "达标项", "结论"],
            [
                [r["name"], r["code"], r["students"], *[c["num"] for c in r["cells"]], r["met"], r["verdict"]]
                for r in lv["rows"]
            ],
            bad=[
                [False] * 3 + [c["met"] is False for c in r["cells"]] + [False, r["passes"] is False]
                for r in lv["rows"]
            ],
        )
    sheet = _sheet(wb, "未达标学校及差距", (30, 12, 6, 34, 11, 9, 30))
    sheet.title("表3 未达标学校及差距")
    sheet.table(
        ["学校", "标识码", "学段", "未达标指标", "实际值", "标准", "差距"],
        [[g["name"], g["code"], g["level"], g["label"], g["value"], g["standard"], g["text"]] for g in context["gaps"]],
    )
    if context["units"]["excluded"]:
        sheet.title("表4 未纳入计算的学校")
        sheet.table(
            ["学校", "标识码", "学段", "学生数", "原因"],
            [[u["name"], u["code"], u["level"], u["students"], u["reason"]] for u in context["units"]["excluded"]],
        )
    sheet = _sheet(wb, "校际差异系数", (34, 16, 11, 12, 12, 10, 9, 12))
    for i, lv in enumerate(context["cv"], start=1):
        sheet.title(f"表5-{i} {lv['label']}校际差异系数表({lv['units']} 个计算单元,结论:{lv['verdict']})")
        rows: list[list[Cell]] = [
            [
                f"{r['label']}({r['unit']})",
                r["total_resource"],
                r["total_students"],
                r["mean"],
                r["sd"],
                r["cv"],
                r["threshold"],
                r["verdict"] + ("(临界)" if r["near"] else ""),
            ]
            for r in lv["rows"]
        ]
        if lv["composite"]:
            c = lv["composite"]
            rows.append(["综合差异系数", None, None, None, None, c["cv"], c["threshold"], c["verdict"]])
        sheet.table(["指标", "全县资源总量", "学生总数", "全县均值", "标准差", "差异系数", "标准", "结论"], rows)
    sheet = _sheet(wb, "计算明细", (30, 12, 9, *[12] * 7))
    for i, t in enumerate(context["calc"], start=1):
        sheet.title(f"表A-{i} {t['label']}差异系数计算明细")
        sheet.table(
            ["计算单元", "标识码", "学生数", *[f"{c['label']}({c['unit']})" for c in t["columns"]]],
            [[r["name"], r["code"], r["students"], *r["values"]] for r in t["rows"]]
            + [
                ["学生总数 P", None, None, *t["students"]],
                ["全县均值 M", None, None, *t["mean"]],
                ["标准差 S", None, None, *t["sd"]],
                ["差异系数 CV", None, None, *t["cv"]],
            ],
        )
    sheet = _sheet(wb, "问题清单", (6, 10, 60, 50, 50))
    sheet.title("问题清单与整改建议")
    sheet.table(
        ["序号", "类别", "问题", "整改建议", "涉及学校"],
        [[i, p.area, p.text, p.suggestion, "、".join(p.schools)] for i, p in enumerate(context["problems"], start=1)],
    )
    sheet = _sheet(wb, "规划实施", (24, 30, 12, 12, 10, 10))
    plan = context["county_plan"]
    if plan:
        sheet.title(f"县域推进计划:{plan['title']}")
        headers = ["目标", "指标", "学段"]
        for y in plan["years"]:
            headers += [f"{y} 目标", f"{y} 实际", f"{y} 达成"]
        sheet.table(
            headers,
            [
                [
                    r["label"],
                    r["indicator"],
                    r["level"],
                    *_year_cells(r["cells"]),
                ]
                for r in plan["rows"]
            ],
        )
    sheet.title("学校三年发展规划")
    sheet.table(
        ["学校", "规划", "规划期", "本学年自评", "目标达成", "达成率"],
        [
            [r["name"], r["title"], r["period"], r["status"], r["met"], r["share"]]
            for r in context["school_plans"]["rows"]
        ],
    )
    for part in context["assessment"]["parts"]:
        if not part["available"]:
            continue
        sheet = _sheet(wb, part["title"], (10, 50, 20, 24, 8, 40))
        sheet.title(f"{part['title']}:{part['summary']}(结论:{part['verdict_text']})")
        if part["groups"]:
            sheet.table(
                ["调查对象", "有效问卷", "计入答案", "认可", "认可度"],
                [[g["label"], g["responses"], g["counted"], g["positive"], g["rate"]] for g in part["groups"]],
            )
        else:
            sheet.table(
                ["序号", "指标", "标准", "实际情况", "达成", "说明"],
                [[i["number"], i["text"], i["standard"], i["value"], i["mark"], i["note"]] for i in part["items"]],
            )
    recorded = context["assessment"]["problems"]
    if recorded:
        sheet = _sheet(wb, "已登记问题", (6, 14, 50, 16, 12, 10))
        sheet.table(
            ["序号", "来源", "问题", "责任单位", "整改期限", "状态"],
            [[i, p["source"], p["title"], p["owner"], p["deadline"], p["state"]] for i, p in enumerate(recorded, 1)],
        )
    _approvals(wb, context["approvals"])
    return _save(wb)


def school_workbook(context: dict[str, Any]) -> bytes:
    """The school report's tables: 概况, 历年指标, 差距, 规划, 审核记录."""
    wb = cells.workbook()
    _about(wb, context)
    school = context["school"]
    sheet = _sheet(wb, "学校概况", (22, 40))
    for label, value in (
        ("学校名称", school["name"]),
        ("学校标识码", school["code"]),
        ("学校类型", school["type"]),
        ("城乡分类", school["area"]),
        ("办学性质", school["ownership"]),
        ("是否县属", school["county_run"]),
        ("本学年统计状态", school["status"]),
    ):
        sheet.line(label, value)
    sheet.line("小学在校生", school["students"]["primary"])
    sheet.line("小学专任教师", school["teachers"]["primary"])
    sheet.line("初中在校生", school["students"]["junior"])
    sheet.line("初中专任教师", school["teachers"]["junior"])
    for lv in context["history"]:
        sheet = _sheet(wb, f"历年指标-{lv['label']}", (40, 12, *[12] * len(lv["years"])))
        years = [str(y["year"]) for y in lv["years"]]
        sheet.table(
            ["指标", "标准(≥)", *years],
            [[f"{r['label']}({r['unit']})", r["standard"], *[c["num"] for c in r["cells"]]] for r in lv["rows"]]
            + [["学生数", None, *[y["students"] for y in lv["years"]]]]
            + [["达标项", None, *[y["met"] for y in lv["years"]]]],
            bad=[[False, False, *[c.get("met") is False for c in r["cells"]]] for r in lv["rows"]],
        )
    sheet = _sheet(wb, "差距", (8, 40, 12, 10, 40))
    sheet.table(
        ["学段", "未达标指标", "实际值", "标准", "差距"],
        [[g["level"], g["label"], g["value"], g["standard"], g["text"]] for g in context["gaps"]],
    )
    plan = context["plan"]
    if plan:
        sheet = _sheet(wb, "规划实施", (30, 10, 10, *[10] * (3 * len(plan["years"]))))
        sheet.title(f"{plan['title']}({plan['period']},{plan['status']})")
        headers = ["目标", "单位", "基线"]
        for y in plan["years"]:
            headers += [f"{y} 目标", f"{y} 实际", f"{y} 达成"]
        sheet.table(
            headers,
            [
                [
                    t["name"],
                    t["unit"],
                    t["baseline"],
                    *_year_cells(t["cells"]),
                ]
                for t in plan["targets"]
            ],
        )
    _approvals(wb, context["approvals"])
    return _save(wb)


def _year_cells(cells: Sequence[dict[str, Any]]) -> list[Cell]:
    """Target, actual and mark of each plan year, side by side."""
    return [value for c in cells for value in (c["target"], c["actual"], c["mark"])]


def _save(wb: Any) -> bytes:
    return cells.to_bytes(wb)
