"""Writes and runs of the planner: the unit-cost table and a plan for a district-year."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record
from core import access, revisions
from indicators.formulas import Profile
from indicators.models import RuleProfile
from indicators.selectors import county_inputs, profiles_for_district
from planner.costs import COST_KEYS, COST_LABELS, DEFAULT_COSTS, CostError, UnitCosts
from planner.model import CapError, Caps
from planner.models import UnitCost
from planner.optimise import PlanResult, plan_to_pass
from schools.models import District


def unit_costs_for(district: District) -> UnitCosts:
    """The district's unit costs: its own table, else the sourced defaults."""
    row = UnitCost.objects.filter(district=district).first()
    return row.costs() if row else DEFAULT_COSTS


def unit_costs_save(
    *, district: District, values: Mapping[str, Any], expected_revision: revisions.Expected, user: Any
) -> UnitCost:
    """Save the district's unit costs (every key, 元). Negative or non-numeric values are refused
    with a message naming the item; nothing is saved then."""
    errors: dict[str, str] = {}
    parsed: dict[str, Decimal] = {}
    for key in COST_KEYS:
        raw = values.get(key)
        try:
            value = Decimal(str(raw).strip())
            if not value.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors[key] = _("%(item)s 必须是数值") % {"item": COST_LABELS[key][0]}
            continue
        if value < 0:
            errors[key] = _("%(item)s 不能为负数") % {"item": COST_LABELS[key][0]}
            continue
        parsed[key] = value
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = UnitCost.objects.select_for_update().filter(district=district).first()

        def changed(_since: int) -> dict[str, list[Any]]:
            return {k: [str(getattr(row, k)), str(v)] for k, v in parsed.items() if row and getattr(row, k) != v}

        revisions.check(stored=row.revision if row else None, expected=expected_revision, changes=changed)
        before = {k: str(getattr(row, k)) for k in COST_KEYS} if row else {}
        if row is None:
            row = UnitCost(district=district, **parsed)
        else:
            for k, v in parsed.items():
                setattr(row, k, v)
            row.revision += 1
        row.updated_by = access.logged_in(user)
        row.full_clean()
        row.save()
        record(
            user=user,
            action="update",
            object_type="planner.UnitCost",
            object_id=row.pk,
            district=district,
            summary=_("修改单价表"),
            changes={k: [before.get(k), str(v)] for k, v in parsed.items() if before.get(k) != str(v)},
        )
    return row


def profile_for(district: District, name: str) -> Profile:
    """The current version of profile `name`, if the district is assessed under it."""
    profiles = {p.name: p for p in profiles_for_district(district)}
    if name not in profiles:
        choices = ", ".join(sorted(profiles))
        raise ValidationError(_("该区县未采用规则 %(name)s,可选: %(choices)s") % {"name": name, "choices": choices})
    version = profiles[name].current_version()
    return Profile.from_dict(version.definition)


def plan_run(
    *,
    district: District,
    year: int,
    profile_name: str,
    budget: float | None = None,
    caps: Caps | None = None,
    time_limit: float = 8.0,
) -> PlanResult:
    """The cheapest plan that makes the district pass `profile_name` in `year` (engine-verified)."""
    profile = profile_for(district, profile_name)
    records = county_inputs([district.pk], year)[district.pk].records
    if not records:
        raise ValidationError(_("%(year)s 年没有学校统计数据") % {"year": year})
    try:
        return plan_to_pass(records, profile, unit_costs_for(district), budget=budget, caps=caps, time_limit=time_limit)
    except (CostError, CapError) as e:
        raise ValidationError(str(e)) from e


__all__ = ["RuleProfile", "plan_run", "profile_for", "unit_costs_for", "unit_costs_save"]
