"""Writes of a school's three-year plan (三年规划): creating it, its sections, goals and targets,
submitting, returning with comments, approving and revising into a new version, and the
differences between versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import revisions
from core.models import User
from plans.metrics import METRICS
from plans.models import (
    SECTION_FIELDS,
    Direction,
    PlanArea,
    PlanComment,
    PlanGoal,
    PlanTarget,
    ReviewStatus,
    SchoolPlan,
)
from plans.services.common import (
    PLAN_YEARS,
    _event,
    _locked,
    _notify_bureau,
    _notify_school,
    _require_editable,
    _school_name,
    parse_number,
    section_label,
)
from schools.models import School


@transaction.atomic
def plan_create(*, school: School, start_year: int, title: str, user: User | None) -> SchoolPlan:
    """Start a three-year plan (start_year … start_year+2) as a draft."""
    if SchoolPlan.objects.filter(school=school, start_year=start_year).exists():
        raise ValidationError(_("该校 %(y)s 年起的规划已存在") % {"y": start_year})
    end_year = start_year + PLAN_YEARS - 1
    overlapping = SchoolPlan.objects.filter(school=school, start_year__lte=end_year, end_year__gte=start_year).first()
    if overlapping is not None:
        # One plan per year: progress reports and the late list are per school and year.
        raise ValidationError(
            _("规划期与已有规划(%(a)s—%(b)s)重叠") % {"a": overlapping.start_year, "b": overlapping.end_year}
        )
    if not title.strip():
        raise ValidationError({"title": _("请填写规划名称")})
    plan = SchoolPlan.objects.create(
        school=school,
        start_year=start_year,
        end_year=start_year + PLAN_YEARS - 1,
        title=title.strip(),
        created_by=user,
    )
    _event(plan, "create", user)
    return plan


@transaction.atomic
def plan_save_sections(
    *, plan: SchoolPlan, data: Mapping[str, str], user: User | None, expected_revision: revisions.Expected = None
) -> SchoolPlan:
    """Save the text sections (现状分析, 办学理念, 总体目标, 保障措施) and the title, over the
    revision the editor opened (core.revisions: none → refused, an older one → stale)."""
    plan = _locked(plan)
    _require_editable(plan)
    revisions.check(
        stored=plan.revision, expected=expected_revision, changes=lambda since: _sections_changed_since(plan, since)
    )
    changes: dict[str, list[str]] = {}
    for field in (*SECTION_FIELDS, "title"):
        if field in data:
            new = (data[field] or "").strip()
            if new != getattr(plan, field):
                changes[field] = [getattr(plan, field), new]
            setattr(plan, field, new)
    if not plan.title:
        raise ValidationError({"title": _("请填写规划名称")})
    plan.revision += 1
    plan.save()
    _event(plan, "save", user, changes=changes)
    return plan


def _sections_changed_since(plan: SchoolPlan, revision: int) -> dict[str, list[Any]]:
    """What the section saves after `revision` changed (revision r follows the (r-1)-th save)."""
    merged: dict[str, list[Any]] = {}
    for event in list(plan.events.filter(action="save").order_by("at", "id"))[max(revision - 1, 0) :]:
        for field, (old, new) in event.changes.items():
            label = section_label(field) if field in SECTION_FIELDS else _("规划名称")
            merged[label] = [merged.get(label, [old])[0], new]
    return merged


@transaction.atomic
def goal_save(
    *,
    plan: SchoolPlan,
    area: PlanArea,
    title: str,
    measures: str = "",
    goal: PlanGoal | None = None,
    user: User | None = None,
    expected_revision: revisions.Expected = None,
) -> PlanGoal:
    """Add a goal, or change `goal` over the revision the editor opened (core.revisions)."""
    _require_editable(_locked(plan))
    if not title.strip():
        raise ValidationError({"title": _("请填写目标")})
    if goal is None:
        goal = PlanGoal(plan=plan, order=plan.goals.count())
    elif goal.plan_id != plan.pk:
        raise ValidationError(_("目标不属于该规划"))
    else:
        goal = PlanGoal.objects.select_for_update().get(pk=goal.pk)
        posted = {"area": str(area), "title": title.strip(), "measures": measures.strip()}
        revisions.check(
            stored=goal.revision, expected=expected_revision, changes=lambda _r: _goal_differences(goal, posted)
        )
        goal.revision += 1
    before = {"area": str(goal.area) if goal.pk else "", "title": goal.title, "measures": goal.measures}
    goal.area, goal.title, goal.measures = area, title.strip(), measures.strip()
    goal.save()
    after = {"area": str(goal.area), "title": goal.title, "measures": goal.measures}
    _event(plan, "goal_save", user, note=goal.title, changes=_diff(before, after))
    return goal


def _goal_differences(goal: PlanGoal, posted: Mapping[str, Any]) -> dict[str, list[Any]]:
    stored = {"area": str(goal.area), "title": goal.title, "measures": goal.measures}
    labels = {"area": _("领域"), "title": _("目标"), "measures": _("主要措施")}
    return {labels[k]: v for k, v in revisions.differences(posted, stored).items()}


@transaction.atomic
def goal_delete(*, goal: PlanGoal, user: User | None = None, expected_revision: revisions.Expected = None) -> None:
    _require_editable(_locked(goal.plan))
    goal = PlanGoal.objects.select_for_update().get(pk=goal.pk)
    revisions.check(stored=goal.revision, expected=expected_revision, changes=lambda _r: {_("目标"): [goal.title, ""]})
    _event(goal.plan, "goal_delete", user, note=goal.title)
    goal.delete()


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def clean_target_values(plan: SchoolPlan, raw: Mapping[str, Any], name: str) -> dict[str, float]:
    """Target values by year: numbers, for years inside the plan only."""
    values: dict[str, float] = {}
    for year_text, raw_value in raw.items():
        try:
            year = int(year_text)
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("目标年份“%(y)s”无效") % {"y": year_text}) from exc
        if year not in plan.years:
            raise ValidationError(
                _("“%(name)s”的目标年份 %(y)s 不在规划期 %(a)s—%(b)s 内")
                % {"name": name, "y": year, "a": plan.start_year, "b": plan.end_year}
            )
        number = parse_number(raw_value, _("“%(name)s” %(y)s 年目标值") % {"name": name, "y": year})
        if number is not None:
            values[str(year)] = float(number)
    return values


def _stored(target: PlanTarget, field: str) -> Any:
    """A target's field as its event records it (the baseline as text, nothing as None)."""
    value = getattr(target, field)
    return str(value) if field == "baseline" and value is not None else value


@transaction.atomic
def target_save(
    *,
    goal: PlanGoal,
    name: str,
    values: Mapping[str, Any],
    metric: str = "",
    level: str = "",
    unit: str = "",
    direction: str = Direction.HIGHER,
    baseline: Any = None,
    target: PlanTarget | None = None,
    user: User | None = None,
    expected_revision: revisions.Expected = None,
) -> PlanTarget:
    """Add or change a measurable target (a change over the revision the editor opened, see
    core.revisions). Linked targets take unit and direction from the metric."""
    plan = _locked(goal.plan)
    _require_editable(plan)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("请填写指标名称")})
    if metric:
        spec = METRICS.get(metric)
        if spec is None:
            raise ValidationError({"metric": _("未知的系统指标")})
        if spec.needs_level and level not in ("primary", "junior"):
            raise ValidationError({"level": _("关联系统指标时请选择学段(小学或初中)")})
        unit, direction = spec.unit, spec.direction
    elif not unit.strip():
        raise ValidationError({"unit": _("自定义指标请填写单位")})
    if direction not in Direction.values:
        raise ValidationError({"direction": _("方向应为“越高越好”或“越低越好”")})
    cleaned = clean_target_values(plan, values, name)
    base = parse_number(baseline, _("基线值"))
    fields = ("name", "metric", "level", "unit", "direction", "baseline", "values")
    before = {f: _stored(target, f) for f in fields} if target else {}
    if target is None:
        target = PlanTarget(goal=goal, order=goal.targets.count())
    elif target.goal.plan_id != plan.pk:
        raise ValidationError(_("指标不属于该规划"))
    else:
        stored = PlanTarget.objects.select_for_update().get(pk=target.pk)
        revisions.check(
            stored=stored.revision,
            expected=expected_revision,
            changes=lambda _r: {target.name: [_describe_target(stored), _("(您的修改)")]},
        )
        target.revision = stored.revision + 1
    target.name, target.metric, target.level = name, metric, level
    target.unit, target.direction, target.baseline, target.values = unit.strip(), direction, base, cleaned
    target.goal = goal
    target.save()
    after = {f: _stored(target, f) for f in fields}
    _event(plan, "target_save", user, note=target.name, changes=_diff(before, after))
    return target


@transaction.atomic
def target_delete(
    *, target: PlanTarget, user: User | None = None, expected_revision: revisions.Expected = None
) -> None:
    _require_editable(_locked(target.goal.plan))
    stored = PlanTarget.objects.select_for_update().get(pk=target.pk)
    revisions.check(
        stored=stored.revision,
        expected=expected_revision,
        changes=lambda _r: {stored.name: [_describe_target(stored), ""]},
    )
    _event(target.goal.plan, "target_delete", user, note=target.name)
    target.delete()


def plan_missing_parts(plan: SchoolPlan) -> list[str]:
    """What a plan still lacks before it can be submitted, in words the principal can act on."""
    missing = []
    labels = {f: section_label(f) for f in SECTION_FIELDS}
    for field in SECTION_FIELDS:
        if not getattr(plan, field).strip():
            missing.append(_("请填写“%(s)s”") % {"s": labels[field]})
    goals = list(plan.goals.prefetch_related("targets"))
    if not goals:
        missing.append(_("至少需要一个发展目标"))
    for goal in goals:
        targets = list(goal.targets.all())
        if not targets:
            missing.append(_("目标“%(g)s”还没有可衡量的指标") % {"g": goal.title})
        for target in targets:
            absent = [str(y) for y in plan.years if str(y) not in target.values]
            if absent:
                missing.append(
                    _("指标“%(t)s”缺少 %(years)s 年的目标值") % {"t": target.name, "years": "、".join(absent)}
                )
    return missing


@transaction.atomic
def plan_submit(*, plan: SchoolPlan, user: User | None) -> SchoolPlan:
    plan = _locked(plan)
    if plan.status not in (ReviewStatus.DRAFT, ReviewStatus.RETURNED):
        raise ValidationError(_("当前状态不能提交"))
    missing = plan_missing_parts(plan)
    if missing:
        raise ValidationError(missing)
    resubmitted = plan.status == ReviewStatus.RETURNED
    plan.status = ReviewStatus.SUBMITTED
    plan.save(update_fields=["status", "updated_at"])
    plan.comments.filter(resolved=False).update(resolved=True)
    _event(plan, "resubmit" if resubmitted else "submit", user)
    _notify_bureau(plan, _("%(school)s 提交了规划“%(t)s”") % {"school": _school_name(plan), "t": plan.title})
    return plan


@transaction.atomic
def plan_return(*, plan: SchoolPlan, user: User | None, comments: Sequence[tuple[str, str]]) -> SchoolPlan:
    """Return a submitted plan with comments, each pinned to the plan, a section, goal or target."""
    plan = _locked(plan)
    if plan.status != ReviewStatus.SUBMITTED:
        raise ValidationError(_("只有待审核的规划可以退回"))
    given = [(anchor, text.strip()) for anchor, text in comments if text and text.strip()]
    if not given:
        raise ValidationError(_("退回时至少填写一条意见"))
    for anchor, text in given:
        _check_anchor(plan, anchor)
        PlanComment.objects.create(plan=plan, author=user, anchor=anchor, text=text)
    plan.status = ReviewStatus.RETURNED
    plan.save(update_fields=["status", "updated_at"])
    _event(plan, "return", user, note="\n".join(t for _a, t in given))
    _notify_school(plan, _("规划“%(t)s”被退回修改,请查看审核意见") % {"t": plan.title})
    return plan


def _check_anchor(plan: SchoolPlan, anchor: str) -> None:
    if not anchor:
        return
    kind, _sep, ref = anchor.partition(":")
    ok = (
        (kind == "section" and ref in SECTION_FIELDS)
        or (kind == "goal" and plan.goals.filter(pk=ref).exists() if ref.isdecimal() else False)
        or (
            kind == "target" and PlanTarget.objects.filter(pk=ref, goal__plan=plan).exists()
            if ref.isdecimal()
            else False
        )
    )
    if not ok:
        raise ValidationError(_("意见所指的位置无效"))


@transaction.atomic
def plan_approve(*, plan: SchoolPlan, user: User | None) -> SchoolPlan:
    plan = _locked(plan)
    if plan.status != ReviewStatus.SUBMITTED:
        raise ValidationError(_("只有待审核的规划可以通过"))
    plan.status = ReviewStatus.APPROVED
    plan.save(update_fields=["status", "updated_at"])
    _event(plan, "approve", user)
    _notify_school(plan, _("规划“%(t)s”已审核通过") % {"t": plan.title})
    return plan


@transaction.atomic
def plan_revise(*, plan: SchoolPlan, user: User | None) -> SchoolPlan:
    """A change after approval: a new draft version copying the approved one."""
    plan = _locked(plan)
    if plan.status != ReviewStatus.APPROVED:
        raise ValidationError(_("只有已通过的规划需要修订;草稿可直接修改"))
    if hasattr(plan, "next_version"):
        raise ValidationError(_("该版本已有修订稿"))
    copy = SchoolPlan.objects.create(
        school=plan.school,
        start_year=plan.start_year,
        end_year=plan.end_year,
        version=plan.version + 1,
        previous=plan,
        title=plan.title,
        created_by=user,
        **{f: getattr(plan, f) for f in SECTION_FIELDS},
    )
    for goal in plan.goals.prefetch_related("targets"):
        new_goal = PlanGoal.objects.create(
            plan=copy, area=goal.area, title=goal.title, measures=goal.measures, order=goal.order
        )
        for t in goal.targets.all():
            PlanTarget.objects.create(
                goal=new_goal,
                name=t.name,
                metric=t.metric,
                level=t.level,
                unit=t.unit,
                direction=t.direction,
                baseline=t.baseline,
                values=dict(t.values),
                order=t.order,
            )
    _event(copy, "revise", user, note=f"v{plan.version} → v{copy.version}")
    return copy


def current_plan(school: School, start_year: int) -> SchoolPlan | None:
    """The newest version of a school's plan for a period."""
    return SchoolPlan.objects.filter(school=school, start_year=start_year).order_by("-version").first()


@dataclass
class Change:
    where: str
    before: str
    after: str


def plan_diff(old: SchoolPlan, new: SchoolPlan) -> list[Change]:
    """What changed between two versions: sections, goals and targets (by name)."""
    changes: list[Change] = []
    for field in (*SECTION_FIELDS, "title"):
        a, b = getattr(old, field), getattr(new, field)
        if a != b:
            changes.append(Change(section_label(field), a, b))

    def targets(plan: SchoolPlan) -> dict[tuple[str, str], PlanTarget]:
        return {(t.goal.title, t.name): t for t in PlanTarget.objects.filter(goal__plan=plan).select_related("goal")}

    def goals(plan: SchoolPlan) -> dict[str, PlanGoal]:
        return {g.title: g for g in plan.goals.select_related("area")}

    old_goals, new_goals = goals(old), goals(new)
    for title in old_goals.keys() - new_goals.keys():
        changes.append(Change(_("目标"), title, _("(删除)")))
    for title in new_goals.keys() - old_goals.keys():
        changes.append(Change(_("目标"), _("(新增)"), title))
    for title in old_goals.keys() & new_goals.keys():
        if old_goals[title].measures != new_goals[title].measures:
            changes.append(
                Change(_("目标“%(g)s”的措施") % {"g": title}, old_goals[title].measures, new_goals[title].measures)
            )
    old_t, new_t = targets(old), targets(new)
    for key in old_t.keys() - new_t.keys():
        changes.append(Change(_("指标"), key[1], _("(删除)")))
    for key in new_t.keys() - old_t.keys():
        changes.append(Change(_("指标"), _("(新增)"), key[1]))
    for key in old_t.keys() & new_t.keys():
        a_t, b_t = old_t[key], new_t[key]
        if a_t.values != b_t.values:
            changes.append(
                Change(_("指标“%(t)s”的目标值") % {"t": key[1]}, _fmt_values(a_t.values), _fmt_values(b_t.values))
            )
        described = (_describe_target(a_t), _describe_target(b_t))
        if described[0] != described[1]:
            changes.append(Change(_("指标“%(t)s”的定义") % {"t": key[1]}, *described))
    for title in old_goals.keys() & new_goals.keys():
        if old_goals[title].area_id != new_goals[title].area_id:
            changes.append(
                Change(_("目标“%(g)s”的领域") % {"g": title}, str(old_goals[title].area), str(new_goals[title].area))
            )
    return changes


def _describe_target(target: PlanTarget) -> str:
    """A target's definition in one line (metric, level, unit, direction, baseline) for the diff."""
    metric = METRICS[target.metric].label if target.metric in METRICS else _("自定义")
    base = "—" if target.baseline is None else f"{float(target.baseline):g}"
    parts = [metric, target.level or "—", target.unit or "—", str(target.get_direction_display()), _("基线") + base]
    return " · ".join(parts)


def _fmt_values(values: Mapping[str, float]) -> str:
    return ";".join(f"{y}: {v:g}" for y, v in sorted(values.items()))
