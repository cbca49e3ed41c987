"""Writes of the problem list (问题清单): the sync that opens a problem for each failing finding
(balance results, checklist items, the survey) and closes those that pass on approved data, its
scheduling after commit, and the bureau's own problems.

Every write is atomic; a refused input raises ValidationError before anything is written.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessment import selectors
from assessment.formulas.text import Text, joined, to_json
from assessment.models import Problem
from assessment.survey import selectors as survey_selectors
from core.models import User
from core.transactions import on_commit_once
from indicators.models import BalanceResult
from indicators.results import CompositeAbove, CvAbove, UnitShort
from indicators.selectors import profiles_for_district
from schools.fields import SECTION_LABELS
from schools.models import District, School

log = logging.getLogger(__name__)

# A problem found in school year Y is due by the end of that school year's summer (before the
# statistics of Y+1 are taken on 9月1日) unless the bureau sets another deadline.
DEADLINE_MONTH_DAY = (8, 31)


@dataclass(frozen=True)
class Finding:
    """Something that fails now and should be a problem (when it has none)."""

    key: str
    source: str
    title: str
    detail: str = ""
    school_code: str = ""
    owner: str = ""
    profile_name: str = ""


@dataclass
class Findings:
    failing: dict[str, Finding]
    resolved: set[str]  # keys that pass on approved data: their open problems close

    def fail(self, finding: Finding) -> None:
        self.failing.setdefault(finding.key, finding)
        self.resolved.discard(finding.key)

    def resolve(self, key: str) -> None:
        if key not in self.failing:
            self.resolved.add(key)


def _level(level: str) -> Text:
    return Text(SECTION_LABELS.get(level, level), context="学段")


def _gap(gap: Any) -> Text:
    """indicators.presentation.gap_text as a Text (said in the reader's language on the page)."""
    label = gap.rule.gap_label or gap.rule.label
    if gap.shortfall is None:
        return Text("%(label)s未填报", label=label)
    amount = f"{int(gap.shortfall):,}"
    if gap.unit == "元":
        return Text("需增加%(label)s ¥%(amount)s", label=label, amount=amount)
    return Text("需增加%(label)s %(amount)s %(unit)s", label=label, amount=amount, unit=gap.unit)


def _balance_findings(district: District, year: int, found: Findings) -> None:
    """Failing school indicators and CVs over their threshold (the stored outcome's findings);
    what passes on approved data resolves its problem."""
    profiles = [p.name for p in profiles_for_district(district)]
    for result in BalanceResult.objects.filter(
        district=district, year=year, is_current=True, profile_name__in=profiles
    ):
        outcome = result.outcome
        name = result.profile_name
        all_approved = outcome.schools_approved >= outcome.schools_total
        for finding in outcome.findings:
            if isinstance(finding, UnitShort):
                unit, gap = finding.unit, finding.gap
                shown = Text("未填报") if gap.value is None else f"{gap.value:,.2f}"
                found.fail(
                    Finding(
                        key=f"unit:{name}:{unit.school_code}:{unit.level}:{gap.key}",
                        source=Problem.Source.BALANCE_UNIT,
                        title=Text(
                            "%(school)s(%(level)s)%(label)s未达标",
                            school=unit.school_name,
                            level=_level(unit.level),
                            label=gap.rule.label,
                        ),
                        detail=Text(
                            "现值 %(v)s,标准 %(s)s %(u)s;%(gap)s",
                            v=shown,
                            s=f"{gap.standard:g}",
                            u=gap.rule.unit,
                            gap=_gap(gap),
                        ),
                        school_code=unit.school_code,
                        owner=unit.school_name,
                        profile_name=name,
                    )
                )
            elif isinstance(finding, CvAbove):
                ind = finding.indicator
                found.fail(
                    Finding(
                        key=f"cv:{name}:{ind.level}:{ind.key}",
                        source=Problem.Source.BALANCE_CV,
                        title=Text("%(level)s%(label)s校际差异系数超标", level=_level(ind.level), label=ind.rule.label),
                        detail=Text("差异系数 %(cv).3f,标准 ≤ %(t)s", cv=ind.cv or 0, t=ind.threshold),
                        owner=_("县教育局"),
                        profile_name=name,
                    )
                )
            elif isinstance(finding, CompositeAbove):
                level = finding.level
                found.fail(
                    Finding(
                        key=f"cv:{name}:{level.level}:composite",
                        source=Problem.Source.BALANCE_CV,
                        title=Text("%(level)s综合差异系数超标", level=_level(level.level)),
                        detail=Text(
                            "综合差异系数 %(cv).3f,标准 ≤ %(t)s", cv=level.composite or 0, t=level.composite_threshold
                        ),
                        owner=_("县教育局"),
                        profile_name=name,
                    )
                )
        # What passes on approved data closes its problem (a failure found above keeps it open).
        for unit in outcome.units:
            if not unit.included or unit.passes is None or not unit.approved:
                continue
            for rule in outcome.rules:
                if rule.key not in unit.gaps and rule.standards.get(unit.level) is not None:
                    found.resolve(f"unit:{name}:{unit.school_code}:{unit.level}:{rule.key}")
        if all_approved:
            for level in outcome.levels.values():
                for ind in level.indicators.values():
                    if ind.passes is True:
                        found.resolve(f"cv:{name}:{level.level}:{ind.key}")
                if level.composite_threshold is not None and level.passes is True:
                    found.resolve(f"cv:{name}:{level.level}:composite")


def _checklist_findings(district: District, year: int, found: Findings) -> None:
    for profile in profiles_for_district(district):
        checklist = selectors.county_checklist(district, year, profile)
        if checklist is None:
            continue
        for view in checklist.items.values():
            judgement = view.judgement
            item = judgement.item
            title = Text(
                "%(area)s %(key)s:%(text)s", area=AREA_LABELS_BY_AREA.get(item.area, ""), key=item.key, text=item.text
            )
            if item.judge == "auto":
                for finding in judgement.findings:
                    key = f"item:{item.key}:{finding.school_code}"
                    if finding.outcome == "fail":
                        found.fail(
                            Finding(
                                key=key,
                                source=Problem.Source.ITEM_SCHOOL,
                                title=Text(
                                    "%(school)s:%(standard)s", school=finding.school_name, standard=item.standard_text
                                ),
                                detail=Text(
                                    "%(detail)s(%(key)s %(text)s)", detail=finding.detail, key=item.key, text=item.text
                                ),
                                school_code=finding.school_code,
                                owner=finding.school_name,
                            )
                        )
                    elif finding.outcome in ("pass", "n/a") and finding.approved:
                        found.resolve(key)
            elif judgement.verdict is False:
                failing = [c for c in judgement.checks if c.passes is False]
                detail = joined(
                    ";",
                    [
                        Text(
                            "%(label)s:%(value)s(标准 %(standard)s)",
                            label=c.label,
                            value=Text("否") if c.value is None else f"{c.value:,.2f}",
                            standard=c.standard,
                        )
                        for c in failing
                    ],
                )
                found.fail(
                    Finding(
                        key=f"item:{item.key}", source=Problem.Source.ITEM, title=title, detail=detail, owner=item.owner
                    )
                )
            elif judgement.verdict is True:
                found.resolve(f"item:{item.key}")


AREA_LABELS_BY_AREA = {"guarantee": "政府保障程度", "quality": "教育质量", "veto": "一票否决事项"}


def _survey_findings(district: District, year: int, found: Findings) -> None:
    survey = survey_selectors.survey_get(district, year)
    if survey is None or survey.is_open:
        return  # judged when the survey is closed
    summary = survey_selectors.survey_summary(survey)
    if summary.verdict is False:
        found.fail(
            Finding(
                key="recognition",
                source=Problem.Source.RECOGNITION,
                title=Text("社会认可度未达到 %(t)s%%", t=f"{float(survey.threshold) * 100:g}"),
                detail=Text("认可度 %(r).1f%%,有效问卷 %(n)s 份", r=(summary.rate or 0) * 100, n=summary.responses),
                owner=_("县人民政府、县教育局"),
            )
        )
    elif summary.verdict is True:
        found.resolve("recognition")


def default_deadline(year: int) -> datetime.date:
    return datetime.date(year + 1, *DEADLINE_MONTH_DAY)


@dataclass(frozen=True)
class SyncResult:
    opened: int
    closed: int


@transaction.atomic
def problems_sync(*, district: District, year: int) -> SyncResult:
    """Open a problem for each current failing finding of the year, close the ones now passing.

    Idempotent: a finding opens a problem only when no open problem has its key and no problem of
    that key was already recorded for this year (so a problem closed by hand stays closed for the
    year it was found). An open system problem found in this year or earlier closes itself when
    this year's approved data passes it. Problems the bureau added (`manual`) are never touched.
    """
    District.objects.select_for_update().filter(pk=district.pk).first()  # one sync per district at a time
    with translation.override(settings.LANGUAGE_CODE):  # stored in Chinese, whoever triggered it
        return _sync(district, year)


def _sync(district: District, year: int) -> SyncResult:
    found = Findings({}, set())
    _balance_findings(district, year, found)
    _checklist_findings(district, year, found)
    _survey_findings(district, year, found)
    problems = Problem.objects.filter(district=district).exclude(source=Problem.Source.MANUAL)
    open_keys = set(problems.exclude(state=Problem.State.CLOSED).values_list("key", flat=True))
    this_year = set(problems.filter(year=year).values_list("key", flat=True))
    schools = {s.code: s for s in School.objects.filter(district=district)}
    opened = 0
    for key, finding in found.failing.items():
        if key in open_keys or key in this_year:
            continue
        Problem.objects.create(
            district=district,
            year=year,
            source=finding.source,
            key=key,
            profile_name=finding.profile_name,
            school=schools.get(finding.school_code),
            title=finding.title[:300],
            detail=finding.detail,
            title_text=to_json(finding.title),
            detail_text=to_json(finding.detail),
            owner=finding.owner[:100],
            deadline=default_deadline(year),
        )
        opened += 1
    # Open problems found before titles kept how they were made: say them from now on too.
    for problem in problems.exclude(state=Problem.State.CLOSED).filter(key__in=list(found.failing), title_text={}):
        finding = found.failing[problem.key]
        if str(finding.title)[:300] == problem.title:
            problem.title_text, problem.detail_text = to_json(finding.title), to_json(finding.detail)
            problem.save(update_fields=["title_text", "detail_text"])
    now = timezone.now()
    closed = (
        problems.exclude(state=Problem.State.CLOSED)
        .filter(key__in=found.resolved, year__lte=year)
        .update(
            state=Problem.State.CLOSED,
            closed_auto=True,
            closed_at=now,
            closed_by=None,
            close_note=_("%(y)s 学年已审核数据达标,系统自动关闭") % {"y": year},
            updated_at=now,
        )
    )
    return SyncResult(opened, closed)


def schedule_problems_sync(*, district_id: int, year: int) -> None:
    """Sync the problem list after the current transaction commits (a Celery task).

    Once per district-year and transaction: twenty entries saved in one transaction give one sync.
    """
    on_commit_once(("problems-sync", district_id, year), partial(_queue_sync, district_id, year))


def _queue_sync(district_id: int, year: int) -> None:
    from assessment.tasks import sync_problems

    try:
        sync_problems.delay(district_id, year)
    except Exception:
        # The next recompute or entry runs it again; the list is only late, never wrong.
        log.warning("could not queue problem sync for district %s year %s", district_id, year, exc_info=True)


@transaction.atomic
def problem_create(
    *,
    district: District,
    year: int,
    title: str,
    detail: str,
    owner: str,
    deadline: datetime.date | None,
    school: School | None,
    user: User | None,
) -> Problem:
    """A problem the bureau adds itself (e.g. from an inspection visit)."""
    if not title.strip():
        raise ValidationError({"title": [_("请填写问题")]})
    problem = Problem(
        district=district,
        year=year,
        source=Problem.Source.MANUAL,
        title=title.strip(),
        detail=detail.strip(),
        owner=owner.strip(),
        deadline=deadline,
        school=school,
    )
    problem.full_clean()
    problem.save()
    return problem


@transaction.atomic
def problem_update(*, problem: Problem, owner: str, deadline: datetime.date | None, state: str) -> Problem:
    """Owner, deadline and 待整改/整改中 (closing goes through problem_close)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not problem.is_open:
        raise ValidationError(_("问题已关闭,不能修改"))
    if state not in (Problem.State.OPEN, Problem.State.IN_PROGRESS):
        raise ValidationError({"state": [_("状态无效")]})
    problem.owner = owner.strip()[:100]
    problem.deadline = deadline
    problem.state = state
    problem.save(update_fields=["owner", "deadline", "state", "updated_at"])
    return problem


@transaction.atomic
def problem_close(*, problem: Problem, note: str, user: User | None) -> Problem:
    """Close by hand, with a note saying what was done (required)."""
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    if not problem.is_open:
        raise ValidationError(_("问题已关闭"))
    if not note.strip():
        raise ValidationError({"note": [_("关闭问题时必须填写整改说明")]})
    problem.state = Problem.State.CLOSED
    problem.closed_auto = False
    problem.closed_at = timezone.now()
    problem.closed_by = user
    problem.close_note = note.strip()
    problem.save(update_fields=["state", "closed_auto", "closed_at", "closed_by", "close_note", "updated_at"])
    return problem
