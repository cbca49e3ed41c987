"""Writes of the county plan (县域推进计划): its text, its targets and the county figures
(enrolment, dropout and retention rates) the board compares them with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import revisions
from plans.metrics import METRICS
from plans.models import (
    CountyFigure,
    CountyPlan,
    CountyTarget,
    CountyTargetKind,
)
from plans.services.common import (
    PLAN_YEARS,
    parse_number,
)
from schools.models import District


@transaction.atomic
def county_plan_save(
    *,
    district: District,
    start_year: int,
    title: str,
    inspection_date: date | None = None,
    notes: str = "",
    expected_revision: revisions.Expected = None,
) -> CountyPlan:
    """Create the county plan of a period, or change it over the revision the editor opened."""
    posted = {"title": title, "inspection_date": inspection_date, "notes": notes}
    plan = CountyPlan.objects.select_for_update().filter(district=district, start_year=start_year).first()
    if plan is None:
        return CountyPlan.objects.create(
            district=district, start_year=start_year, end_year=start_year + PLAN_YEARS - 1, **posted
        )
    _county_plan_check(plan, expected_revision, posted)
    for field, value in posted.items():
        setattr(plan, field, value)
    plan.end_year = start_year + PLAN_YEARS - 1
    plan.revision += 1
    plan.save()
    return plan


def _county_plan_check(plan: CountyPlan, expected: revisions.Expected, posted: Mapping[str, Any]) -> None:
    """The county plan and its targets are edited on one page under the plan's revision."""
    stored = {"title": plan.title, "inspection_date": plan.inspection_date, "notes": plan.notes}
    labels = {"title": _("计划名称"), "inspection_date": _("计划迎检日期"), "notes": _("说明")}
    revisions.check(
        stored=plan.revision,
        expected=expected,
        changes=lambda _r: {labels.get(k, k): v for k, v in revisions.differences(posted, stored).items()},
    )


@transaction.atomic
def county_target_set(
    *,
    plan: CountyPlan,
    kind: str,
    year: int,
    value: Any,
    indicator: str = "",
    level: str = "",
    profile_name: str = "quality-2017",
    expected_revision: revisions.Expected = None,
) -> CountyTarget:
    """Set a yearly target of the county plan, over the plan revision the editor opened. The
    plan passed in is brought up to the revision the change makes."""
    given, plan = plan, CountyPlan.objects.select_for_update().get(pk=plan.pk)
    _county_plan_check(plan, expected_revision, {})
    if year < plan.start_year or year > plan.end_year:
        raise ValidationError(_("目标年份 %(y)s 不在计划期内") % {"y": year})
    if kind not in CountyTargetKind.values:
        raise ValidationError(_("未知的目标类型“%(k)s”") % {"k": kind})
    if kind == CountyTargetKind.CV and (f"indicator:{indicator}" not in METRICS or level not in ("primary", "junior")):
        raise ValidationError(_("差异系数目标请填写系统指标并选择学段(小学或初中)"))
    number = parse_number(value, _("目标值"))
    if number is None:
        raise ValidationError(_("请填写目标值"))
    target, _created = CountyTarget.objects.update_or_create(
        plan=plan,
        kind=kind,
        indicator=indicator,
        level=level,
        year=year,
        defaults={"value": number, "profile_name": profile_name},
    )
    plan.revision += 1
    plan.save(update_fields=["revision"])
    given.revision = plan.revision
    return target


FIGURE_KINDS = (CountyTargetKind.ENROLMENT_RATE, CountyTargetKind.DROPOUT_RATE, CountyTargetKind.RETENTION_RATE)


def county_figure_set(*, district: District, year: int, kind: str, value: Any) -> CountyFigure:
    if kind not in FIGURE_KINDS:
        raise ValidationError(_("未知的县域数据类型“%(k)s”") % {"k": kind})
    number = parse_number(value, _("数值"))
    if number is None:
        raise ValidationError(_("请填写数值"))
    figure, _created = CountyFigure.objects.update_or_create(
        district=district, year=year, kind=kind, defaults={"value": number}
    )
    return figure
