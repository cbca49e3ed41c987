"""Writes of the county plan (县域推进计划): its text, its targets and the county figures
(enrolment, dropout and retention rates) the board compares them with."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

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
) -> CountyPlan:
    plan, _created = CountyPlan.objects.update_or_create(
        district=district,
        start_year=start_year,
        defaults={
            "end_year": start_year + PLAN_YEARS - 1,
            "title": title,
            "inspection_date": inspection_date,
            "notes": notes,
        },
    )
    return plan


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
) -> CountyTarget:
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
