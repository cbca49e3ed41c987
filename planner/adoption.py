"""An adopted plan and what it sets: the county plan's yearly targets and the schools' targets."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record
from core import access, revisions
from indicators.formulas import Profile
from planner.models import AdoptedPlan
from planner.optimise import PlanResult
from planner.schedule import Schedule
from plans.models import CountyPlan, CountyTargetKind, PlanArea, SchoolPlan
from plans.services.county_plan import county_target_set
from plans.services.plan import goal_save, target_save
from schools.models import District


@transaction.atomic
def plan_adopt(
    *,
    district: District,
    year: int,
    profile_name: str,
    plan: PlanResult,
    schedule: Schedule,
    start_year: int,
    budgets: Sequence[float | None],
    user: Any,
) -> AdoptedPlan:
    """Keep the plan and its schedule as the district's adopted 整改方案 (the newest one counts)."""
    content = plan.to_json()
    content["schedule"] = schedule.to_json()
    adopted = AdoptedPlan.objects.create(
        district=district,
        year=year,
        profile_name=profile_name,
        start_year=start_year,
        budgets=list(budgets),
        content=content,
        cost_yuan=Decimal(str(round(plan.cost_yuan, 2))),
        adopted_by=access.logged_in(user),
    )
    record(
        user=user,
        action="create",
        object_type="planner.AdoptedPlan",
        object_id=adopted.pk,
        district=district,
        year=year,
        summary=_("采纳整改方案:费用 %(cost)s 元") % {"cost": f"{plan.cost_yuan:,.0f}"},
    )
    return adopted


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _years(adopted: AdoptedPlan) -> list[dict[str, Any]]:
    schedule = adopted.content.get("schedule") or {}
    years: list[dict[str, Any]] = schedule.get("years") or []
    return years


@transaction.atomic
def county_targets_from_schedule(
    *,
    county_plan: CountyPlan,
    adopted: AdoptedPlan,
    profile: Profile,
    expected_revision: revisions.Expected,
) -> int:
    """Set the county plan's yearly targets (达标学校比例, every CV with a line) from the schedule's
    figures after each year; returns how many were set. Years outside the plan period are skipped."""
    count = 0
    expected = expected_revision
    lines = {
        (level, rule.key)
        for rule in profile.indicators
        for level, line in rule.cv_thresholds.items()
        if line is not None or profile.county_rule == "composite"
    }
    for y in _years(adopted):
        if not county_plan.start_year <= y["year"] <= county_plan.end_year:
            continue
        if y["compliance_share"] is not None:
            county_target_set(
                plan=county_plan,
                kind=CountyTargetKind.COMPLIANCE_SHARE,
                year=y["year"],
                value=round(y["compliance_share"], 1),
                profile_name=profile.name,
                expected_revision=expected,
            )
            expected, count = county_plan.revision, count + 1
        for level, cvs in y["cvs"].items():
            for key, cv in cvs.items():
                if cv is None or (level, key) not in lines:
                    continue
                county_target_set(
                    plan=county_plan,
                    kind=CountyTargetKind.CV,
                    year=y["year"],
                    value=round(cv, 4),
                    indicator=key,
                    level=level,
                    profile_name=profile.name,
                    expected_revision=expected,
                )
                expected, count = county_plan.revision, count + 1
    if not count:
        raise ValidationError(_("规划的年份不在县域推进计划期内,未设置任何目标"))
    return count


def school_target_series(
    *, adopted: AdoptedPlan, profile: Profile, school_code: str, first_year: int, last_year: int
) -> dict[tuple[str, str], dict[str, float]]:
    """The school's indicator values after each year's work in the adopted schedule, per section
    and indicator, for the indicators the plan changes at the school between those years. A
    school that only sends teachers away has none: the schedule files them under the receiver."""
    rules = {r.key: r for r in profile.indicators}
    series: dict[tuple[str, str], dict[str, float]] = {}
    for y in _years(adopted):
        if not first_year <= y["year"] <= last_year:
            continue
        for level, unit_values in y["school_values"].get(school_code, {}).items():
            for key, value in unit_values.items():
                if value is not None and key in rules and rules[key].standards.get(level) is not None:
                    series.setdefault((level, key), {})[str(y["year"])] = round(value, 4)
    before = (adopted.content.get("schedule") or {}).get("base_school_values", {}).get(school_code, {})
    return {
        (level, key): values
        for (level, key), values in series.items()
        if any(v != _rounded(before.get(level, {}).get(key)) for v in values.values())
    }


@transaction.atomic
def school_targets_from_schedule(*, school_plan: SchoolPlan, adopted: AdoptedPlan, profile: Profile, user: Any) -> int:
    """Add to a school's three-year plan a goal 达标整改 with its part of the schedule as targets:
    per section and indicator the plan changes, the value after each year. Returns how many."""
    area = PlanArea.objects.filter(active=True).order_by("order").first()
    if area is None:
        raise ValidationError(_("没有可用的规划领域"))
    moving = school_target_series(
        adopted=adopted,
        profile=profile,
        school_code=school_plan.school.code,
        first_year=school_plan.start_year,
        last_year=school_plan.end_year,
    )
    if not moving:
        raise ValidationError(_("该校在规划中没有需要设定的目标"))
    rules = {r.key: r for r in profile.indicators}
    goal = goal_save(plan=school_plan, area=area, title=_("资源配置达标整改(规划测算)"), user=user)
    for (level, key), by_year in sorted(moving.items()):
        target_save(goal=goal, name=rules[key].label, values=by_year, metric=f"indicator:{key}", level=level, user=user)
    return len(moving)
