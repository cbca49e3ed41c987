"""Helpers the plans services share (package-private: plan.py, progress.py, county_plan.py):
the plan's event log, locking and editability, number parsing, section names and notices to a
school's principals and its bureau."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from core import access
from core.models import User
from plans.models import (
    Notification,
    PlanEvent,
    SchoolPlan,
)

PLAN_YEARS = 3


def _event(
    plan: SchoolPlan,
    action: str,
    user: User | None,
    note: str = "",
    year: int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> None:
    PlanEvent.objects.create(
        plan=plan, action=action, user=user, note=note, progress_year=year, changes=dict(changes or {})
    )


def section_label(field: str) -> str:
    """The Chinese name of a plan section (a model field's verbose name)."""
    return str(SchoolPlan._meta.get_field(field).verbose_name)  # type: ignore[union-attr]


def _locked(plan: SchoolPlan) -> SchoolPlan:
    return SchoolPlan.objects.select_for_update().get(pk=plan.pk)


def _require_editable(plan: SchoolPlan) -> None:
    if not plan.editable:
        raise ValidationError(_("规划已提交或已通过,不能修改;已通过的规划请“修订”生成新版本"))


def parse_number(raw: Any, label: str) -> Decimal | None:
    """A numeric entry or None when empty; a clear message when it is not a number."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "").replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationError(_("%(label)s应为数字,收到“%(raw)s”") % {"label": label, "raw": raw}) from exc
    if not value.is_finite():
        raise ValidationError(_("%(label)s应为数字") % {"label": label})
    return value


def _school_name(plan: SchoolPlan) -> str:
    version = plan.school.versions.order_by("-valid_from").first()
    return version.name if version else plan.school.code


def _notify_school(plan: SchoolPlan, text: str) -> int:
    principals = list(access.principals_of(plan.school_id))
    link = f"/plans/{plan.pk}/"
    for principal in principals:
        Notification.objects.create(user=principal, text=text, link=link)
        if getattr(settings, "EMAIL_HOST", "") and principal.email:
            send_mail(text, text, None, [principal.email], fail_silently=True)
    return len(principals)


def _notify_bureau(plan: SchoolPlan, text: str) -> None:
    for staff in access.bureau_staff_of(plan.school.district_id):
        Notification.objects.create(user=staff, text=text, link=f"/plans/{plan.pk}/")
