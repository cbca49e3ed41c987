"""Writes of annual progress (年度自评): opening a year's report, filling linked targets' actual
values from approved statistics or the stored balance result, saving, evidence, submitting and
review; progress deadlines and reminders to late schools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import revisions
from core.models import User
from core.text import Text, to_json
from indicators.models import BalanceResult
from plans import files
from plans.metrics import stat_actual
from plans.models import (
    AnnualProgress,
    Direction,
    Evidence,
    PlanTarget,
    ProgressDeadline,
    ProgressItem,
    ProgressStatus,
    ReviewStatus,
    SchoolPlan,
)
from plans.services.common import (
    _event,
    _notify_bureau,
    _notify_school,
    _school_name,
    parse_number,
)
from schools.fields import STAT_KEYS
from schools.models import AnnualStatistics, District, School, Status


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
        return None, Text("%(y)s 学年尚无统计数据", y=year)
    if stats.status != Status.APPROVED:
        return None, Text("%(y)s 学年统计数据尚未审核", y=year)
    if target.metric.startswith("stat:"):
        values = {k: getattr(stats, k) for k in STAT_KEYS}
        value = stat_actual(target.metric, values, target.level)
        return value, Text("%(y)s 学年已审核统计数据", y=year)
    key = target.metric.removeprefix("indicator:")
    results = BalanceResult.objects.filter(district=school.district_id, year=year, is_current=True).order_by(
        "profile_name"
    )
    for result in sorted(results, key=lambda r: r.profile_name != "quality-2017"):
        outcome = result.outcome
        for unit in outcome.units_of(school.code):
            if unit.level == target.level and key in unit.values:
                source = Text(
                    "%(y)s 学年均衡计算结果(%(p)s v%(v)s)", y=year, p=result.profile_name, v=outcome.profile.version
                )
                return unit.values[key], source
    return None, Text("%(y)s 学年尚无该指标的计算结果", y=year)


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
        item.source, item.source_text = source, to_json(source)  # Chinese, and how it was made
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
    expected_revision: revisions.Expected = None,
    uploads: Sequence[UploadedFile] = (),
) -> AnnualProgress:
    """Save the school's entries: actual values of custom targets, statuses and narratives, over
    the revision the editor opened (core.revisions), with the evidence files chosen in the same
    form: all saved together, or nothing (a refused file leaves the typed values unsaved too, and
    the page shows them back)."""
    progress = AnnualProgress.objects.select_for_update().get(pk=progress.pk)
    if not progress.editable:
        raise ValidationError(_("年度自评已提交或已通过,不能修改"))
    revisions.check(
        stored=progress.revision,
        expected=expected_revision,
        changes=lambda since: _progress_changed_since(progress, since),
    )
    changes: dict[str, list[Any]] = {}
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
    stored = {i.pk: i for i in ProgressItem.objects.filter(progress=progress)}
    for item in updates:
        before = stored[item.pk]
        for field in ("actual", "status", "narrative"):
            old, new = getattr(before, field), getattr(item, field)
            if str(old if old is not None else "") != str(new if new is not None else ""):
                changes[f"{item.target.name} · {field}"] = [_jsonable(old), _jsonable(new)]
        item.save()
    if progress.summary != summary.strip():
        changes[str(_("总体自评"))] = [progress.summary, summary.strip()]
    progress.summary = summary.strip()
    progress.revision += 1
    progress.save()
    added = [evidence_add(progress=progress, upload=upload, user=user).original_name for upload in uploads]
    if added:
        changes[str(_("佐证材料"))] = ["", "、".join(added)]
    _event(progress.plan, "progress_save", user, year=progress.year, changes=changes)
    return progress


def _jsonable(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _progress_changed_since(progress: AnnualProgress, revision: int) -> dict[str, list[Any]]:
    """What the saves after `revision` changed (revision r follows the (r-1)-th save)."""
    merged: dict[str, list[Any]] = {}
    saves = progress.plan.events.filter(action="progress_save", progress_year=progress.year).order_by("at", "id")
    for event in list(saves)[max(revision - 1, 0) :]:
        for field, (old, new) in event.changes.items():
            merged[field] = [merged.get(field, [old])[0], new]
    return merged


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
