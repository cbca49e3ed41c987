"""Writes of plans, progress reports and the county plan. Every change goes through here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access
from core.models import User
from indicators.models import BalanceResult
from plans import files
from plans.metrics import METRICS, stat_actual
from plans.models import (
    SECTION_FIELDS,
    AnnualProgress,
    CountyFigure,
    CountyPlan,
    CountyTarget,
    CountyTargetKind,
    Direction,
    Evidence,
    Notification,
    PlanArea,
    PlanComment,
    PlanEvent,
    PlanGoal,
    PlanTarget,
    ProgressDeadline,
    ProgressItem,
    ProgressStatus,
    ReviewStatus,
    SchoolPlan,
)
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, School, Status

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


# --- school plans ---------------------------------------------------------------------------


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
    *, plan: SchoolPlan, data: Mapping[str, str], user: User | None, expected_revision: int | None = None
) -> SchoolPlan:
    """Save the text sections (现状分析, 办学理念, 总体目标, 保障措施) and the title."""
    plan = _locked(plan)
    _require_editable(plan)
    if expected_revision is not None and expected_revision != plan.revision:
        raise ValidationError(_("该规划已被他人修改,请刷新后再保存;您的输入未保存"))
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


@transaction.atomic
def goal_save(
    *,
    plan: SchoolPlan,
    area: PlanArea,
    title: str,
    measures: str = "",
    goal: PlanGoal | None = None,
    user: User | None = None,
) -> PlanGoal:
    _require_editable(_locked(plan))
    if not title.strip():
        raise ValidationError({"title": _("请填写目标")})
    if goal is None:
        goal = PlanGoal(plan=plan, order=plan.goals.count())
    elif goal.plan_id != plan.pk:
        raise ValidationError(_("目标不属于该规划"))
    before = {"area": str(goal.area) if goal.pk else "", "title": goal.title, "measures": goal.measures}
    goal.area, goal.title, goal.measures = area, title.strip(), measures.strip()
    goal.save()
    after = {"area": str(goal.area), "title": goal.title, "measures": goal.measures}
    _event(plan, "goal_save", user, note=goal.title, changes=_diff(before, after))
    return goal


@transaction.atomic
def goal_delete(*, goal: PlanGoal, user: User | None = None) -> None:
    _require_editable(_locked(goal.plan))
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
) -> PlanTarget:
    """Add or change a measurable target. Linked targets take unit and direction from the metric."""
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
    before = {f: (str(getattr(target, f)) if f == "baseline" else getattr(target, f)) for f in fields} if target else {}
    if target is None:
        target = PlanTarget(goal=goal, order=goal.targets.count())
    elif target.goal.plan_id != plan.pk:
        raise ValidationError(_("指标不属于该规划"))
    target.name, target.metric, target.level = name, metric, level
    target.unit, target.direction, target.baseline, target.values = unit.strip(), direction, base, cleaned
    target.goal = goal
    target.save()
    after = {f: (str(getattr(target, f)) if f == "baseline" else getattr(target, f)) for f in fields}
    _event(plan, "target_save", user, note=target.name, changes=_diff(before, after))
    return target


@transaction.atomic
def target_delete(*, target: PlanTarget, user: User | None = None) -> None:
    _require_editable(_locked(target.goal.plan))
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


# --- annual progress ------------------------------------------------------------------------


@transaction.atomic
def progress_open(*, plan: SchoolPlan, year: int, user: User | None) -> AnnualProgress:
    """Open (or return) the progress report of a plan year, with one item per target."""
    if plan.status != ReviewStatus.APPROVED:
        raise ValidationError(_("规划审核通过后才能填报年度自评"))
    if year not in plan.years:
        raise ValidationError(_("%(y)s 年不在规划期内") % {"y": year})
    progress, created = AnnualProgress.objects.get_or_create(plan=plan, year=year)
    for target in PlanTarget.objects.filter(goal__plan=plan):
        ProgressItem.objects.get_or_create(progress=progress, target=target)
    if created:
        _event(plan, "progress_open", user, year=year)
    if progress.editable:
        progress_autofill(progress)
    return progress


def linked_actual(target: PlanTarget, school: School, year: int) -> tuple[float | None, str]:
    """A linked target's actual value from approved statistics or the stored balance result."""
    stats = AnnualStatistics.objects.filter(school=school, year=year).first()
    if stats is None:
        return None, _("%(y)s 学年尚无统计数据") % {"y": year}
    if stats.status != Status.APPROVED:
        return None, _("%(y)s 学年统计数据尚未审核") % {"y": year}
    if target.metric.startswith("stat:"):
        values = {k: getattr(stats, k) for k in STAT_KEYS}
        value = stat_actual(target.metric, values, target.level)
        return value, _("%(y)s 学年已审核统计数据") % {"y": year}
    key = target.metric.removeprefix("indicator:")
    results = BalanceResult.objects.filter(district=school.district_id, year=year, is_current=True).order_by(
        "profile_name"
    )
    for result in sorted(results, key=lambda r: r.profile_name != "quality-2017"):
        for unit in result.document["units"]:
            if unit["school_code"] == school.code and unit["level"] == target.level and key in unit["values"]:
                source = _("%(y)s 学年均衡计算结果(%(p)s v%(v)s)") % {
                    "y": year,
                    "p": result.profile_name,
                    "v": result.document.get("profile_version", ""),
                }
                return unit["values"][key], source
    return None, _("%(y)s 学年尚无该指标的计算结果") % {"y": year}


def suggest_status(target: PlanTarget, year: int, actual: float | None) -> str:
    """达成 when the year's target is met; 部分达成 when it moved the right way from the baseline."""
    goal = target.values.get(str(year))
    if actual is None or goal is None:
        return ""
    higher = target.direction == Direction.HIGHER
    if (actual >= goal) if higher else (actual <= goal):
        return ProgressStatus.ACHIEVED
    if target.baseline is not None:
        base = float(target.baseline)
        if (actual > base) if higher else (actual < base):
            return ProgressStatus.PARTIAL
    return ProgressStatus.MISSED


def progress_autofill(progress: AnnualProgress) -> int:
    """Fill linked targets' actual values (and a suggested status). Returns how many were filled."""
    filled = 0
    school = progress.plan.school
    for item in progress.items.select_related("target"):
        if not item.target.linked:
            continue
        value, source = linked_actual(item.target, school, progress.year)
        item.actual = None if value is None else Decimal(str(round(value, 4)))
        item.auto_filled = value is not None
        item.source = source
        if value is not None and not item.status:
            item.status = suggest_status(item.target, progress.year, value)
        item.save()
        filled += value is not None
    return filled


@transaction.atomic
def progress_save(
    *,
    progress: AnnualProgress,
    items: Mapping[int, Mapping[str, Any]],
    summary: str,
    user: User | None,
) -> AnnualProgress:
    """Save the school's entries: actual values of custom targets, statuses and narratives."""
    progress = AnnualProgress.objects.select_for_update().get(pk=progress.pk)
    if not progress.editable:
        raise ValidationError(_("年度自评已提交或已通过,不能修改"))
    errors: list[str] = []
    updates = []
    for item in progress.items.select_related("target"):
        data = items.get(item.pk)
        if data is None:
            continue
        if not item.target.linked:
            try:
                item.actual = parse_number(data.get("actual"), _("“%(t)s”实际值") % {"t": item.target.name})
            except ValidationError as error:
                errors.extend(error.messages)
                continue
        status = data.get("status", "") or ""
        if status and status not in ProgressStatus.values:
            errors.append(_("“%(t)s”的达成情况无效") % {"t": item.target.name})
            continue
        item.status = status or suggest_status(
            item.target, progress.year, None if item.actual is None else float(item.actual)
        )
        item.narrative = (data.get("narrative") or "").strip()
        updates.append(item)
    if errors:
        raise ValidationError(errors)  # nothing saved: the transaction rolls back
    for item in updates:
        item.save()
    progress.summary = summary.strip()
    progress.revision += 1
    progress.save()
    _event(progress.plan, "progress_save", user, year=progress.year)
    return progress


@transaction.atomic
def evidence_add(
    *, progress: AnnualProgress, upload: UploadedFile, user: User | None, item: ProgressItem | None = None
) -> Evidence:
    """Attach an evidence file after checking its size and its content (not its name)."""
    progress = AnnualProgress.objects.select_for_update().get(pk=progress.pk)
    if not progress.editable:
        raise ValidationError(_("年度自评已提交或已通过,不能再上传佐证材料"))
    if upload.size is not None and upload.size > files.MAX_EVIDENCE_BYTES:
        raise ValidationError(
            _("文件“%(n)s”超过 %(mb)s MB 上限") % {"n": upload.name, "mb": files.MAX_EVIDENCE_BYTES // (1024 * 1024)}
        )
    data = upload.read(files.MAX_EVIDENCE_BYTES + 1)
    if len(data) > files.MAX_EVIDENCE_BYTES:
        raise ValidationError(_("文件“%(n)s”超过上限") % {"n": upload.name})
    if not data:
        raise ValidationError(_("文件“%(n)s”是空文件") % {"n": upload.name})
    kind = files.sniff(data[:16], data)
    if kind is None:
        raise ValidationError(
            _("文件“%(n)s”不是允许的类型(PDF、图片、Word、Excel);系统按文件内容判断,而不是扩展名") % {"n": upload.name}
        )
    digest = files.store(data)
    return Evidence.objects.create(
        progress=progress,
        item=item,
        original_name=(upload.name or "evidence")[:200],
        kind=kind,
        size=len(data),
        sha256=digest,
        uploaded_by=user,
    )


@transaction.atomic
def progress_submit(*, progress: AnnualProgress, user: User | None) -> AnnualProgress:
    progress = AnnualProgress.objects.select_for_update().get(pk=progress.pk)
    if not progress.editable:
        raise ValidationError(_("当前状态不能提交"))
    missing = [
        _("请填写“%(t)s”的实际值或说明") % {"t": item.target.name}
        for item in progress.items.select_related("target")
        if item.actual is None and not item.narrative.strip()
    ]
    if not progress.summary.strip():
        missing.insert(0, _("请填写总体自评"))
    if missing:
        raise ValidationError(missing)
    progress.status = ReviewStatus.SUBMITTED
    progress.submitted_at = timezone.now()
    progress.save()
    _event(progress.plan, "progress_submit", user, year=progress.year)
    _notify_bureau(
        progress.plan, _("%(s)s 提交了 %(y)s 学年自评") % {"s": _school_name(progress.plan), "y": progress.year}
    )
    return progress


@transaction.atomic
def progress_review(*, progress: AnnualProgress, user: User | None, approve: bool, comment: str = "") -> AnnualProgress:
    progress = AnnualProgress.objects.select_for_update().get(pk=progress.pk)
    if progress.status != ReviewStatus.SUBMITTED:
        raise ValidationError(_("只有待审核的自评可以审核"))
    if not approve and not comment.strip():
        raise ValidationError(_("退回时请填写意见"))
    progress.status = ReviewStatus.APPROVED if approve else ReviewStatus.RETURNED
    progress.save()
    _event(
        progress.plan,
        "progress_approve" if approve else "progress_return",
        user,
        note=comment.strip(),
        year=progress.year,
    )
    message = _("%(y)s 学年自评已通过") if approve else _("%(y)s 学年自评被退回:%(c)s")
    _notify_school(progress.plan, message % {"y": progress.year, "c": comment.strip()})
    return progress


# --- deadlines and reminders ----------------------------------------------------------------


def deadline_set(*, district: District, year: int, due: date) -> ProgressDeadline:
    deadline, _created = ProgressDeadline.objects.update_or_create(district=district, year=year, defaults={"due": due})
    return deadline


def late_progress(district: District, year: int, today: date | None = None) -> list[SchoolPlan]:
    """Approved plans covering `year` whose progress report is not submitted after the deadline."""
    deadline = ProgressDeadline.objects.filter(district=district, year=year).first()
    today = today or timezone.localdate()
    if deadline is None or today <= deadline.due:
        return []
    plans = latest_approved_plans(district, year)
    done = set(
        AnnualProgress.objects.filter(
            plan__in=plans, year=year, status__in=[ReviewStatus.SUBMITTED, ReviewStatus.APPROVED]
        ).values_list("plan_id", flat=True)
    )
    return [p for p in plans if p.pk not in done]


def latest_approved_plans(district: District, year: int) -> list[SchoolPlan]:
    plans = SchoolPlan.objects.filter(
        school__district=district, start_year__lte=year, end_year__gte=year, status=ReviewStatus.APPROVED
    ).select_related("school")
    newest: dict[tuple[int, int], SchoolPlan] = {}
    for plan in plans:
        key = (plan.school_id, plan.start_year)
        if key not in newest or newest[key].version < plan.version:
            newest[key] = plan
    return list(newest.values())


def send_reminders(*, district: District, year: int, user: User | None) -> int:
    """Remind the principals of late schools in the app, and by e-mail when configured."""
    count = 0
    for plan in late_progress(district, year):
        text = _("请尽快提交 %(y)s 学年规划自评(已过截止日期)") % {"y": year}
        count += _notify_school(plan, text)
    return count


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


# --- county plan ----------------------------------------------------------------------------


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
