"""`{% school_plan_part school %}`: the school's lines in the district's newest adopted plan, on
the school's own page (我的学校), with the principal's button that takes them into the school's
three-year plan. A tag, so that the plans app shows it without importing the planner (which
builds on plans)."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ValidationError

from core import access
from planner import selectors, services
from planner.adopted import school_part
from planner.adoption import school_target_series
from planner.labels import LEVEL_LABELS, kind_label, unit_label
from plans.services.common import PLAN_YEARS
from plans.services.plan import current_plan
from schools.models import School

register = template.Library()


@register.inclusion_tag("planner/_school_part.html", takes_context=True)
def school_plan_part(context: dict[str, Any], school: School) -> dict[str, Any]:
    adopted = selectors.newest_adopted_plan(school.district)
    part = None if adopted is None else school_part(adopted, school.code)
    targets = 0
    if adopted is not None and part is not None:
        try:
            profile = services.profile_for(school.district, adopted.profile_name)
        except ValidationError:  # the district no longer uses the plan's rules: nothing to take
            profile = None
        if profile is not None:
            last = adopted.start_year + PLAN_YEARS - 1  # a school plan from the adopted plan's first year
            series = school_target_series(
                adopted=adopted, profile=profile, school_code=school.code, first_year=adopted.start_year, last_year=last
            )
            targets = len(series)
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
        "targets": targets,  # indicator series the school's plan would get
        # The lines go into the three-year plan starting in the plan's first year: without one,
        # the principal is offered to create it rather than a button that would refuse.
        "has_plan": part is not None and current_plan(school, part.start_year) is not None,
        "csrf_token": context.get("csrf_token"),
    }
