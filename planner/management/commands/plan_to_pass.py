"""python manage.py plan_to_pass --district CODE --year YEAR --profile quality-2017|basic-2012 [--budget YUAN] --json

The cheapest plan of changes after which the balance engine says the county passes. With --json
it prints exactly one JSON object: ``changes`` ({school_code, field, from, to}: `from` the
county's stored figure, `to` the planned one; a moved teacher is a change at each school),
``cost_yuan``, ``naive_cost_yuan``, ``lower_bound_yuan``, ``passes`` (the engine's verdict on
the changed figures), and, for people, ``naive_passes``, ``binding``, ``still_failing``,
``actions`` and ``solver``. Without --json, a table by school.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from planner.optimise import PlanResult
from planner.services import plan_run
from schools.models import District

KIND_ZH = {
    "teaching_area": "新建教学及辅助用房",
    "sports_ground": "新增运动场地",
    "equipment": "购置教学仪器设备",
    "multimedia_rooms": "新建网络多媒体教室",
    "computers": "购置教学用计算机",
    "books": "购置图书",
    "hire_qualified": "招聘专任教师",
    "hire_pe_art": "招聘体育艺术教师",
    "designate_backbone": "培训认定骨干教师",
    "transfer_backbone": "交流轮岗骨干教师",
    "transfer_qualified": "交流轮岗教师",
    "transfer_pe_art": "交流轮岗体育艺术教师",
    "transfer_mid_title": "交流轮岗中级职称教师",
}


class Command(BaseCommand):
    help = "最低成本达标规划 / The cheapest plan for a county to pass"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True)
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--profile", required=True, help="quality-2017 | basic-2012 | …")
        parser.add_argument("--budget", type=float, default=None, help="预算上限(元)/ budget (yuan)")
        parser.add_argument("--time-limit", type=float, default=8.0, help="求解时限(秒)/ solver time limit (s)")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象 / print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"没有找到区县 / District not found: {options['district']}")
        try:
            plan = plan_run(
                district=district,
                year=options["year"],
                profile_name=options["profile"],
                budget=options["budget"],
                time_limit=options["time_limit"],
            )
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from e
        if options["json"]:
            self.stdout.write(json.dumps(plan.to_json(), ensure_ascii=False))
            return
        self.stdout.write(table(plan))


def table(plan: PlanResult) -> str:
    lines = [f"{'学校代码':<12} {'学校':<16} {'学段':<4} {'措施':<14} {'数量':>10} {'单位':<3} {'费用(元)':>14}"]
    for a in plan.actions:
        level = {"primary": "小学", "junior": "初中"}.get(a.level or "", "")
        what = KIND_ZH.get(a.kind, a.kind)
        if a.to_school_code:
            what += f" → {a.to_school_code}"
        lines.append(
            f"{a.school_code:<12} {a.school_name[:16]:<16} {level:<4} {what:<14} "
            f"{a.amount:>10,.0f} {a.unit:<3} {a.cost:>14,.0f}"
        )
    lines.append("")
    lines.append(f"规划费用 plan cost      {plan.cost_yuan:>16,.0f} 元")
    naive = "达标" if plan.naive_passes else "差异系数仍不达标"
    lines.append(f"简单补齐 naive cost     {plan.naive_cost_yuan:>16,.0f} 元 ({naive})")
    lines.append(f"下界 lower bound        {plan.lower_bound_yuan:>16,.0f} 元")
    lines.append(f"引擎复核 engine verdict {'通过 passes' if plan.passes else '未通过 fails'}")
    if plan.binding:
        lines.append(
            f"制约条件 binding: {plan.binding}"
            + (f",达标至少需 {plan.needed_yuan:,.0f} 元" if plan.needed_yuan else "")
        )
    lines.extend(f"  仍未达标: {f}" for f in plan.failing)
    return "\n".join(lines)
