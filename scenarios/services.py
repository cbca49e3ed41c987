"""Writes of scenarios: create (from a list of changes: the clerk's empty start or the planner's
plan), one edit at a time (scenarios.edits), delete. Each under one transaction with its audit row.
Approved statistics are never written: a scenario holds only its own changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from core import revisions
from core.models import User
from indicators.selectors import CountyInputs
from indicators.whatif import Change
from scenarios import edits
from scenarios.models import Scenario
from scenarios.selectors import county_inputs, profile_for, stored_changes
from schools.models import District

NAME_REQUIRED = _("请填写方案名称")
NAME_TOO_LONG = _("方案名称不能超过 100 个字")
PROFILE_NOT_USED = _("该区县未采用此评估规则:%(profile)s")
NO_DATA = _("%(year)s 学年没有学校统计数据,无法模拟")


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [NAME_REQUIRED]})
    if len(name) > 100:
        raise ValidationError({"name": [NAME_TOO_LONG]})
    return name


def _stored(changes: Sequence[Change]) -> list[dict[str, Any]]:
    return [{"school_code": c.school_code, "field": c.field, "to": c.to_value} for c in changes]


def _audit_changes(before: Sequence[Change], after: Sequence[Change]) -> dict[str, list[Any]]:
    """{"school field": [figure before the edit, after]} for every figure the edit moved."""
    old = {(c.school_code, c.field): c.to_value for c in before}
    new = {(c.school_code, c.field): c for c in after}
    out: dict[str, list[Any]] = {}
    for key in dict.fromkeys([*old, *new]):
        was = old[key] if key in old else (new[key].from_value if key in new else None)
        # A figure back to the county's own: "—".
        now: float | str | None = new[key].to_value if key in new else "—"
        if was != now:
            out[f"{key[0]} {key[1]}"] = [was, now]
    return out


@transaction.atomic
def scenario_create(
    *, district: District, year: int, profile_name: str, name: str, changes: Sequence[Change], user: User | None
) -> Scenario:
    """A new scenario on the district-year under a profile the district is evaluated under.

    `changes` (possibly none) are checked against the county's figures: each school in the county
    that year, each key a data-dictionary key, each figure a number ≥ 0 (the planner's "open as
    scenario" passes its plan here). Refused with a ValidationError, nothing saved.
    """
    name = _name(name)
    if profile_for(district, profile_name) is None:
        raise ValidationError({"profile_name": [PROFILE_NOT_USED % {"profile": profile_name}]})
    inputs = county_inputs(district, year)
    if not inputs.records:
        raise ValidationError({"year": [NO_DATA % {"year": year}]})
    checked = edits.check_changes(inputs.records, changes)
    scenario = Scenario.objects.create(
        district=district, year=year, profile_name=profile_name, name=name, changes=_stored(checked), created_by=user
    )
    audit.record(
        user=user,
        action="create",
        object_type="scenario",
        object_id=scenario.pk,
        district=district,
        year=year,
        summary=f"{name} ({profile_name})",
        changes=_audit_changes([], checked),
    )
    return scenario


@transaction.atomic
def scenario_apply_edit(
    *,
    scenario: Scenario,
    edit: edits.Edit,
    user: User | None,
    expected_revision: revisions.Expected,
    inputs: CountyInputs | None = None,
) -> Scenario:
    """One edit (scenarios.edits: add facilities, hire, designate, move teachers, close or merge a
    teaching point, set or restore a figure) applied to the scenario's changes.

    Names the revision the editor started from (core/revisions.py: none → 428, an older one →
    409); refuses an edit that cannot be with a message in the user's language. `inputs` (the
    county's, already loaded by the caller) saves reading them again.
    """
    locked = Scenario.objects.select_for_update().select_related("district").get(pk=scenario.pk)
    before = stored_changes(locked)
    revisions.check(stored=locked.revision, expected=expected_revision, changes=lambda _e: {})
    if inputs is None:
        inputs = county_inputs(locked.district, locked.year)
    known = {r.school_code for r in inputs.records}
    kept_aside = [c for c in before if c.school_code not in known]  # schools gone since: kept as they were
    after = edits.apply_edit(inputs.records, [c for c in before if c.school_code in known], edit)
    locked.changes = _stored([*after, *kept_aside])
    locked.revision += 1
    locked.save(update_fields=["changes", "revision", "updated_at"])
    audit.record(
        user=user,
        action=f"edit:{edit.kind}",
        object_type="scenario",
        object_id=locked.pk,
        district=locked.district,
        year=locked.year,
        summary=locked.name,
        changes=_audit_changes(before, after),
    )
    return locked


@transaction.atomic
def scenario_delete(*, scenario: Scenario, user: User | None, expected_revision: revisions.Expected) -> None:
    locked = Scenario.objects.select_for_update().get(pk=scenario.pk)
    revisions.check(stored=locked.revision, expected=expected_revision, changes=lambda _e: {})
    audit.record(
        user=user,
        action="delete",
        object_type="scenario",
        object_id=locked.pk,
        district=locked.district_id,
        year=locked.year,
        summary=locked.name,
        changes={"changes": [len(locked.change_list), None]},
    )
    locked.delete()
