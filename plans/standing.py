"""A school's own standing ("我的学校"): what its principal sees first after login.

Read from the stored balance result of the county's current profile (indicators.results through
indicators.selectors and indicators.presentation: nothing is recomputed here), the school's
statistics for this school year and what it owes: the statistics return (due 20 September,
standards.md §7) and the annual progress report of its approved plan (the district's deadline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.years import current_school_year
from indicators import presentation, selectors
from indicators.models import BalanceResult, RuleProfile
from indicators.results import BalanceOutcome, UnitOutcome
from plans.models import AnnualProgress, ProgressDeadline, ReviewStatus, SchoolPlan
from schools.models import AnnualStatistics, School, Status
from schools.selectors import school_version

# Annual statistics are returned by 20 September of the school year (standards.md: 统计时点
# 9 月 1 日, returns due by 9 月 20 日).
STATISTICS_DUE = (9, 20)


@dataclass(frozen=True)
class IndicatorStanding:
    """One indicator of one unit: its value against the standard, and its part in the county CV."""

    label: str
    unit: str
    value_text: str
    standard: float | None
    met: bool | None
    gap_text: str
    county_cv: float | None
    threshold: float | None
    cv_passes: bool | None
    share: float | None  # the school's share of the county CV's variance (0–1)


@dataclass(frozen=True)
class UnitStanding:
    """A school's unit (a mixed school has two): the 6-of-7 verdict and its indicators."""

    level_label: str
    students: int
    included: bool
    reason_text: str
    met: int | None
    assessed: int | None
    passes: bool | None
    rows: list[IndicatorStanding]


@dataclass(frozen=True)
class Due:
    """Something the school owes, with its date; ``done`` once it is handed in."""

    what: str
    due: date | None
    state: str
    done: bool
    url: str

    @property
    def overdue(self) -> bool:
        return not self.done and self.due is not None and self.due < timezone.localdate()


@dataclass
class SchoolStanding:
    school: School
    name: str
    this_year: int
    year: int | None  # the year of the standing shown (the latest with a stored result)
    profile: RuleProfile | None
    result: BalanceResult | None
    units: list[UnitStanding] = field(default_factory=list)
    statistics: AnnualStatistics | None = None
    dues: list[Due] = field(default_factory=list)
    rule_text: str = ""

    @property
    def passes(self) -> bool | None:
        """The school's verdict: every included unit passes (None when none can be judged)."""
        verdicts = [u.passes for u in self.units if u.included]
        if not verdicts or any(v is None for v in verdicts):
            return None
        return all(verdicts)


def _unit_standing(outcome: BalanceOutcome, unit: UnitOutcome, school_code: str) -> UnitStanding:
    rows = []
    for rule in outcome.rules:
        standard = rule.standards.get(unit.level)
        value = unit.values.get(rule.key)
        met = None if standard is None or not unit.included else (value is not None and value >= standard)
        gap = unit.gaps.get(rule.key)
        cv = outcome.cv(unit.level, rule.key)
        share = None
        if cv is not None and unit.included:
            share = next((t.share for t in cv.terms if t.school_code == school_code), None)
        rows.append(
            IndicatorStanding(
                label=_(rule.label),
                unit=_(rule.unit),
                value_text=presentation.value_text(value, standard, met),
                standard=standard,
                met=met,
                gap_text=presentation.gap_text(gap) if gap is not None else "",
                county_cv=None if cv is None else cv.cv,
                threshold=None if cv is None else cv.threshold,
                cv_passes=None if cv is None else cv.passes,
                share=share,
            )
        )
    return UnitStanding(
        level_label=_(presentation.LEVEL_LABELS.get(unit.level, unit.level)),
        students=unit.students,
        included=unit.included,
        reason_text=presentation.reason_text(unit),
        met=unit.met,
        assessed=unit.assessed,
        passes=unit.passes,
        rows=rows,
    )


def school_rule_text(outcome: BalanceOutcome) -> str:
    """The profile's school rule in words, in the active language ("7 项指标中至少 6 项达到标准…")."""
    count = sum(1 for r in outcome.rules if any(v is not None for v in r.standards.values()))
    if not count:
        return _("本规则不设学校标准")
    rule = outcome.profile.school_rule
    parts = []
    if rule.min_met is not None:
        parts.append(_("%(n)s 项指标中至少 %(m)s 项达到标准") % {"n": count, "m": rule.min_met})
    if rule.max_failing is not None:
        parts.append(_("未达到标准的不超过 %(k)s 项") % {"k": rule.max_failing})
    if rule.floor_ratio is not None:
        parts.append(_("其余项不低于标准的 %(p)s%%") % {"p": f"{rule.floor_ratio * 100:g}"})
    return _("学校达标规则:%(rule)s。") % {"rule": _(",").join(parts)}


def _statistics_due(school: School, year: int, stats: AnnualStatistics | None) -> Due:
    done = stats is not None and stats.status in (Status.SUBMITTED, Status.APPROVED)
    state = str(stats.get_status_display()) if stats is not None else _("未填报")
    return Due(
        what=_("%(year)s—%(next)s学年统计数据") % {"year": year, "next": year + 1},
        due=date(year, *STATISTICS_DUE),
        state=state,
        done=done,
        url=reverse("schools:statistics_edit", args=[school.code, year]),
    )


def _progress_dues(school: School, year: int) -> list[Due]:
    """The annual progress report of each approved plan covering the year."""
    deadline = ProgressDeadline.objects.filter(district_id=school.district_id, year=year).first()
    out = []
    plans = SchoolPlan.objects.filter(
        school=school, status=ReviewStatus.APPROVED, start_year__lte=year, end_year__gte=year
    ).order_by("-start_year", "-version")[:1]
    for plan in plans:
        progress = AnnualProgress.objects.filter(plan=plan, year=year).first()
        status = progress.status if progress is not None else ReviewStatus.DRAFT
        label = str(ReviewStatus(status).label) if progress is not None else _("未开始")
        out.append(
            Due(
                what=_("%(year)s学年规划年度进展(%(plan)s)") % {"year": year, "plan": plan.title},
                due=deadline.due if deadline else None,
                state=label,
                done=status in (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED),
                url=reverse("plans:progress", args=[plan.pk, year]),
            )
        )
    return out


def school_standing(school: School) -> SchoolStanding:
    """The standing of a school under its county's current profile, and what it owes this year."""
    this_year = current_school_year()
    version = school_version(school, this_year) or school.versions.order_by("-valid_from").first()
    profile = selectors.current_profile(school.district)
    result = (
        None
        if profile is None
        else selectors.latest_result_until(district_id=school.district_id, profile_name=profile.name, year=this_year)
    )
    standing = SchoolStanding(
        school=school,
        name=version.name if version is not None else school.code,
        this_year=this_year,
        year=None if result is None else result.year,
        profile=profile,
        result=result,
    )
    if result is not None:
        outcome = result.outcome
        standing.units = [_unit_standing(outcome, unit, school.code) for unit in outcome.units_of(school.code)]
        standing.rule_text = school_rule_text(outcome)
    standing.statistics = AnnualStatistics.objects.filter(school=school, year=this_year).first()
    standing.dues = [_statistics_due(school, this_year, standing.statistics), *_progress_dues(school, this_year)]
    return standing
