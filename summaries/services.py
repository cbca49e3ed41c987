"""Writes of the work summaries: save a draft as a new version, restore an old one, and submit a
school's summary with its annual progress report. Every change adds a version; none is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.models import User
from plans.models import AnnualProgress, ReviewStatus
from plans.services import progress_submit
from schools.models import District, School
from summaries.blocks import MAX_BLOCK_CHARS, MAX_BLOCKS, Block, blocks_from, blocks_json, merge_edits
from summaries.blocks import unknown_placeholders as unknown_names
from summaries.models import SummaryVersion, WorkSummary
from summaries.selectors import plan_in_force

STALE_BASE = gettext_noop("已有人保存了第 %(n)s 版,您的修改未保存。请复制您的修改,打开最新版本后再改")
NOTHING_CHANGED = gettext_noop("没有修改,未生成新版本")
LOCKED = gettext_noop("自评总结已随年度自评提交,退回后才能修改")


def _check(blocks: Sequence[Block], figures: Mapping[str, str]) -> None:
    """Refuse what cannot be shown as written: unknown placeholders, oversized text."""
    errors = []
    unknown = unknown_names(blocks, figures)
    if unknown:
        errors.append(
            _("无法识别的数据项:%(names)s。请使用右侧列出的数据项名称,或删去两侧的 {{ }}")
            % {"names": "、".join(f"{{{{{n}}}}}" for n in unknown)}
        )
    if len(blocks) > MAX_BLOCKS:
        errors.append(_("段落过多(最多 %(n)s 段)") % {"n": MAX_BLOCKS})
    for block in blocks:
        if block.editable and len(block.text) > MAX_BLOCK_CHARS:
            errors.append(_("一段文字不能超过 %(n)s 字") % {"n": MAX_BLOCK_CHARS})
            break
    if errors:
        raise ValidationError(errors)


def _summary_for_update(
    *, kind: str, district: District, school: School | None, year: int, profile_name: str
) -> WorkSummary:
    """The summary row, created on its first save, locked for this transaction."""
    lookup = {"kind": kind, "district": district, "year": year}
    if school is not None:
        lookup = {"kind": kind, "school": school, "year": year}
    summary = WorkSummary.objects.select_for_update().filter(**lookup).first()
    if summary is not None:
        return summary
    try:
        with transaction.atomic():  # a savepoint: a concurrent first save loses cleanly
            return WorkSummary.objects.create(
                kind=kind, district=district, school=school, year=year, profile_name=profile_name
            )
    except IntegrityError:
        return WorkSummary.objects.select_for_update().get(**lookup)


def editable(summary: WorkSummary | None) -> bool:
    """A school's summary is locked once submitted, until its progress report is returned."""
    if summary is None or summary.status == WorkSummary.Status.DRAFT:
        return True
    return summary.progress is not None and summary.progress.status == ReviewStatus.RETURNED


@transaction.atomic
def summary_save(
    *,
    kind: str,
    district: District,
    school: School | None,
    year: int,
    profile_name: str,
    base: Sequence[Block],
    base_number: int,
    edits: Mapping[str, str],
    figures: Mapping[str, str],
    stamp: str,
    user: User | None,
    note: str = "",
) -> SummaryVersion:
    """Save the edited text as the next version.

    `base` are the blocks the clerk started from (version `base_number`, 0 = the default draft);
    `edits` the new text of its editable blocks by id. Refused, with nothing saved, when someone
    saved another version meanwhile, when the text names an unknown figure, or when nothing changed.
    """
    blocks = merge_edits(base, edits)
    _check(blocks, figures)
    summary = _summary_for_update(kind=kind, district=district, school=school, year=year, profile_name=profile_name)
    if not editable(summary):
        raise ValidationError(_(LOCKED))
    latest = summary.versions.order_by("-number").first()
    latest_number = latest.number if latest is not None else 0
    if latest_number != base_number:
        raise ValidationError(_(STALE_BASE) % {"n": latest_number})
    if latest is not None and blocks_from(latest.blocks) == blocks:
        raise ValidationError(_(NOTHING_CHANGED))
    if summary.status == WorkSummary.Status.SUBMITTED:  # returned with the progress report: a draft again
        summary.status = WorkSummary.Status.DRAFT
    summary.save()
    return SummaryVersion.objects.create(
        summary=summary,
        number=latest_number + 1,
        blocks=blocks_json(blocks),
        note=note.strip()[:200],
        data_stamp=stamp,
        created_by=user,
    )


@transaction.atomic
def summary_restore(*, summary: WorkSummary, number: int, stamp: str, user: User | None) -> SummaryVersion:
    """Make an old version's text the newest version (nothing is deleted)."""
    summary = WorkSummary.objects.select_for_update().get(pk=summary.pk)
    if not editable(summary):
        raise ValidationError(_(LOCKED))
    old = summary.versions.filter(number=number).first()
    latest = summary.versions.order_by("-number").first()
    if old is None or latest is None:
        raise ValidationError(_("没有找到该版本"))
    if old.number == latest.number:
        raise ValidationError(_(NOTHING_CHANGED))
    summary.save()
    return SummaryVersion.objects.create(
        summary=summary,
        number=latest.number + 1,
        blocks=old.blocks,
        note=_("恢复第 %(n)s 版") % {"n": old.number},
        data_stamp=stamp,
        created_by=user,
    )


@transaction.atomic
def summary_submit(*, summary: WorkSummary, user: User | None) -> WorkSummary:
    """Submit a school's summary with the year's progress report (年度自评).

    The progress report is submitted now if it is still a draft (its own checks apply); one
    already submitted or approved takes the summary as it is. Either both are submitted or
    neither is.
    """
    summary = WorkSummary.objects.select_for_update().get(pk=summary.pk)
    if summary.kind != WorkSummary.Kind.SCHOOL or summary.school is None:
        raise ValidationError(_("只有学校自评总结随年度自评提交"))
    if summary.status == WorkSummary.Status.SUBMITTED and not editable(summary):
        raise ValidationError(_("自评总结已提交"))
    if not summary.versions.exists():
        raise ValidationError(_("请先保存自评总结"))
    plan = plan_in_force(summary.school, summary.year)
    progress = AnnualProgress.objects.filter(plan=plan, year=summary.year).first() if plan is not None else None
    if progress is None:
        raise ValidationError(_("本学年尚无年度自评,请先在学校规划中填报年度自评"))
    if progress.editable:
        progress = progress_submit(progress=progress, user=user)  # its ValidationError rolls everything back
    summary.progress = progress
    summary.status = WorkSummary.Status.SUBMITTED
    summary.submitted_at = timezone.now()
    summary.save()
    return summary
