"""`{% school_plan_part school %}`: the school's lines in the district's newest adopted plan, on
the school's own page (我的学校), with the principal's button that takes them into the school's
three-year plan. A tag, so that the plans app shows it without importing the planner (which
builds on plans)."""

from __future__ import annotations

from typing import Any

from django import template

from core import access
from planner.adopted import school_part
from planner.labels import LEVEL_LABELS, kind_label, unit_label
from schools.models import School

register = template.Library()


@register.inclusion_tag("planner/_school_part.html", takes_context=True)
def school_plan_part(context: dict[str, Any], school: School) -> dict[str, Any]:
    part = school_part(school.district, school.code)
    lines = []
    if part is not None:
        for action in part.actions:
            moved = action.to_school_code is not None
            lines.append(
                {
                    "what": kind_label(action.kind),
                    "level": str(LEVEL_LABELS.get(action.level or "", "")),
                    "amount": action.amount,
                    "unit": unit_label(action.unit),
                    "cost": action.cost,
                    "from": action.school_name if moved and action.school_code != school.code else "",
                    "to": action.to_school_name if moved and action.to_school_code != school.code else "",
                }
            )
    user = context["request"].user
    return {
        "part": part,
        "lines": lines,
        "school": school,
        "can_take": part is not None and access.can(user, "edit_plan", school.district, school),
        "csrf_token": context.get("csrf_token"),
    }
