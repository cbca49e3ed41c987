"""The plan as an XLSX workbook (every cell through core.cells): actions by school, totals, schedule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from core import cells
from planner.labels import BINDING_LABELS, LEVEL_LABELS, kind_label


def plan_xlsx(content: Mapping[str, Any], *, district_name: str, year: int, profile_label: str) -> bytes:
    """`content` is `PlanResult.to_json()` with its "schedule" (as shown and as adopted)."""
    book = cells.workbook()
    ws = book.active
    ws.title = _("整改措施")
    ws.append([_("%(d)s · %(y)s 学年 · %(p)s · 达标整改方案") % {"d": district_name, "y": year, "p": profile_label}])
    ws.append([])
    ws.append([_("学校代码"), _("学校"), _("学段"), _("措施"), _("数量"), _("单位"), _("费用(元)"), _("调入学校")])
    for a in content.get("actions", []):
        ws.append(
            [
                a["school_code"],
                a["school_name"],
                str(LEVEL_LABELS.get(a.get("level") or "", "")),
                kind_label(a["kind"]),
                a["amount"],
                a["unit"],
                a["cost_yuan"],
                a.get("to_school_name") or "",
            ]
        )
    for column, width in zip("ABCDEFGH", (14, 26, 8, 22, 12, 6, 14, 22), strict=True):
        ws.column_dimensions[column].width = width

    totals = book.create_sheet(_("费用汇总"))
    totals.append([_("项目"), _("金额(元)")])
    totals.append([_("规划费用"), content.get("cost_yuan")])
    totals.append([_("简单补齐方案费用"), content.get("naive_cost_yuan")])
    totals.append([_("简单补齐方案能否达到差异系数要求"), _("能") if content.get("naive_passes") else _("不能")])
    totals.append([_("费用下界"), content.get("lower_bound_yuan")])
    totals.append([_("引擎复核"), _("通过") if content.get("passes") else _("未通过")])
    if content.get("binding"):
        totals.append([_("制约条件"), str(BINDING_LABELS.get(content["binding"], content["binding"]))])
    for line in content.get("still_failing", []):
        totals.append([_("仍未达标"), line])
    by_kind: dict[str, float] = {}
    for a in content.get("actions", []):
        by_kind[a["kind"]] = by_kind.get(a["kind"], 0.0) + a["cost_yuan"]
    totals.append([])
    totals.append([_("措施"), _("金额(元)")])
    for kind, amount in sorted(by_kind.items()):
        totals.append([kind_label(kind), round(amount, 2)])
    totals.column_dimensions["A"].width = 36
    totals.column_dimensions["B"].width = 60

    schedule = content.get("schedule") or {}
    if schedule.get("years"):
        sheet = book.create_sheet(_("分年安排"))
        sheet.append([_("学年"), _("预算(元)"), _("费用(元)"), _("学校达标比例(%)"), _("县域是否达标"), _("实施学校")])
        for y in schedule["years"]:
            share = y.get("compliance_share")
            sheet.append(
                [
                    y["year"],
                    y.get("budget_yuan"),
                    y.get("cost_yuan"),
                    None if share is None else round(share, 1),
                    _("是") if y.get("passes") else _("否"),
                    "、".join(y.get("schools", [])),
                ]
            )
        if schedule.get("unscheduled"):
            sheet.append([_("预算内未能安排"), None, None, None, None, "、".join(schedule["unscheduled"])])
        sheet.column_dimensions["F"].width = 80
    return cells.to_bytes(book)
