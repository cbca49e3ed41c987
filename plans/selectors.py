"""Reads for plans: scoped lists, a plan's targets against actuals, the county plan board."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from core import access
from indicators.models import BalanceResult
from plans.models import (
    AnnualProgress,
    CountyFigure,
    CountyPlan,
    CountyTargetKind,
    Direction,
    PlanTarget,
    ReviewStatus,
    SchoolPlan,
)
from schools.models import District

if TYPE_CHECKING:
    from core.access import AnyUser

LOWER_IS_BETTER = {CountyTargetKind.CV, CountyTargetKind.DROPOUT_RATE}


def plan_scope(user: AnyUser) -> QuerySet[SchoolPlan]:
    return SchoolPlan.objects.filter(school__in=access.school_scope(user))


def review_queue(
    user: AnyUser, *, status: str = "", start_year: int | None = None, q: str = ""
) -> QuerySet[SchoolPlan]:
    plans = plan_scope(user).select_related("school", "school__district").order_by("-updated_at")
    if status:
        plans = plans.filter(status=status)
    if start_year:
        plans = plans.filter(start_year=start_year)
    if q:
        plans = plans.filter(Q(school__versions__name__icontains=q) | Q(school__code__startswith=q)).distinct()
    return plans


@dataclass
class TargetRow:
    target: PlanTarget
    cells: list[dict[str, Any]] = field(default_factory=list)  # per year: target, actual, status


def plan_target_rows(plan: SchoolPlan) -> list[TargetRow]:
    """Each target with its yearly target value and the actual from that year's progress report."""
    return plans_target_rows([plan])[plan.pk]


def plans_target_rows(plans: Sequence[SchoolPlan]) -> dict[int, list[TargetRow]]:
    """plan_target_rows for several plans in three queries (a county's reports list every plan)."""
    items: dict[tuple[int, int], Any] = {}
    reports = AnnualProgress.objects.filter(plan__in=[p.pk for p in plans]).prefetch_related("items")
    for report in reports:
        for item in report.items.all():
            items[(item.target_id, report.year)] = (item, report)
    by_plan: dict[int, list[TargetRow]] = {p.pk: [] for p in plans}
    years = {p.pk: p.years for p in plans}
    targets = PlanTarget.objects.filter(goal__plan__in=list(by_plan)).select_related("goal", "goal__area")
    for target in targets.order_by("goal__plan_id", "goal_id", "order", "id"):  # each plan's in its own order
        row = TargetRow(target)
        for year in years[target.goal.plan_id]:
            item, report = items.get((target.pk, year), (None, None))
            goal = target.values.get(str(year))
            actual = None if item is None or item.actual is None else float(item.actual)
            met = achievement = None
            if goal is not None and actual is not None:
                higher = target.direction == Direction.HIGHER
                met = actual >= goal if higher else actual <= goal
                # Share of the year's target reached (100 = on target), comparable across units.
                if higher and goal:
                    achievement = 100.0 * actual / goal
                elif not higher and actual:
                    achievement = 100.0 * goal / actual
            row.cells.append(
                {
                    "year": year,
                    "target": goal,
                    "actual": actual,
                    "met": met,
                    "achievement": achievement,
                    "status": item.get_status_display() if item and item.status else "",
                    "report_status": report.status if report else None,
                }
            )
        by_plan[target.goal.plan_id].append(row)
    return by_plan


def progress_overview(district: District, year: int) -> list[dict[str, Any]]:
    """Per school with an approved plan covering `year`: its progress report's status."""
    from plans.services import latest_approved_plans

    plans = latest_approved_plans(district, year)
    reports = {r.plan_id: r for r in AnnualProgress.objects.filter(plan__in=plans, year=year)}
    return [{"plan": p, "report": reports.get(p.pk)} for p in sorted(plans, key=lambda p: p.school.code)]


def _result_actual(result: BalanceResult | None, kind: str, indicator: str, level: str) -> float | None:
    if result is None:
        return None
    outcome = result.outcome
    if kind == CountyTargetKind.COMPLIANCE_SHARE:
        units = [u for u in outcome.included(level or None) if u.passes is not None]
        if not units:
            return None
        return 100.0 * sum(1 for u in units if u.passes) / len(units)
    if kind == CountyTargetKind.CV:
        entry = outcome.cv(level, indicator)
        return None if entry is None else entry.cv
    return None


def county_plan_board(plan: CountyPlan) -> list[dict[str, Any]]:
    """Rows of the county plan: each target series with target, actual and verdict per year."""
    years = list(range(plan.start_year, plan.end_year + 1))
    results = {
        (r.profile_name, r.year): r
        for r in BalanceResult.objects.filter(district=plan.district, year__in=years, is_current=True)
    }
    figures = {
        (f.kind, f.year): float(f.value) for f in CountyFigure.objects.filter(district=plan.district, year__in=years)
    }
    series: dict[tuple[str, str, str, str], dict[int, float]] = {}
    for t in plan.targets.all():
        series.setdefault((t.kind, t.indicator, t.level, t.profile_name), {})[t.year] = float(t.value)
    rows = []
    for (kind, indicator, level, profile), by_year in sorted(series.items()):
        cells = []
        for year in years:
            goal = by_year.get(year)
            if kind in (CountyTargetKind.COMPLIANCE_SHARE, CountyTargetKind.CV):
                actual = _result_actual(results.get((profile, year)), kind, indicator, level)
            else:
                actual = figures.get((kind, year))
            met = None
            if goal is not None and actual is not None:
                met = actual <= goal if kind in LOWER_IS_BETTER else actual >= goal
            cells.append({"year": year, "target": goal, "actual": actual, "met": met})
        rows.append(
            {
                "kind": kind,
                "label": CountyTargetKind(kind).label,
                "indicator": indicator,
                "level": level,
                "profile": profile,
                "cells": cells,
            }
        )
    return rows


def county_plan_for(district: District) -> CountyPlan | None:
    return CountyPlan.objects.filter(district=district).order_by("-start_year").first()


def plans_of_school_status(plans: QuerySet[SchoolPlan]) -> dict[str, int]:
    counts = {s.value: 0 for s in ReviewStatus}
    for status in plans.values_list("status", flat=True):
        counts[status] += 1
    return counts
