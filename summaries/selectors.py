"""Reads for the work summaries: the facts a county's or a school's summary is drafted from, and
the stored summaries and their versions.

Every balance figure comes from the stored results (`BalanceResult.outcome`), the same as the
pages; the 政府保障程度 / 教育质量 items, the survey and the problem list come through the
assessment app's selectors, the plans through the plans app's. Access is the caller's business
(core.access): these functions take a district or school the caller may see.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assessment.models import Problem
from assessment.problems.selectors import problem_list
from assessment.selectors import county_checklist, district_profile, report_identity, report_sections
from assessment.survey.selectors import SurveySummary, survey_get, survey_summary
from indicators.models import BalanceResult, RuleProfile
from indicators.results import BalanceOutcome
from indicators.selectors import current_profile
from planner.adopted import AdoptedSchedule, adopted_schedule
from plans.models import AnnualProgress, CountyPlan, ReviewStatus, SchoolPlan
from plans.selectors import (
    TargetRow,
    county_plan_board,
    county_plan_for,
    plan_target_rows,
    plans_target_rows,
    progress_overview,
)
from reports.content import RegistryRow
from reports.selectors import registry_rows
from schools.models import AnnualStatistics, District, School, SchoolVersion
from schools.selectors import school_version
from summaries.models import SummaryVersion, WorkSummary


class NoResult(Exception):  # noqa: N818 - a condition the user is told about
    """There is no stored balance result for the year: nothing to draft from. Says why."""


def result_of(district: District, year: int, profile_name: str) -> BalanceResult | None:
    return (
        BalanceResult.objects.filter(district=district, year=year, profile_name=profile_name, is_current=True)
        .select_related("profile_version")
        .first()
    )


def summary_profile(district: District, profile_name: str | None = None) -> RuleProfile | None:
    """The profile a summary (or the overview) reads a county under: the one asked for if the
    county uses it; else the county's first profile of the 2017 method (each CV judged on its
    own, the acceptance the counties now work towards), else its first profile."""
    if profile_name:
        asked = district_profile(district, profile_name)
        if asked is not None:
            return asked
    return current_profile(district)


def years_with_results(district: District) -> list[int]:
    years = BalanceResult.objects.filter(district=district, is_current=True).values_list("year", flat=True)
    return sorted(set(years), reverse=True)


# --- a county -------------------------------------------------------------------------------------


@dataclass
class PlanProgress:
    """The county plan's targets for the year, and the schools' plans and self-assessments."""

    plan: CountyPlan | None
    board: list[dict[str, Any]]
    schools_with_plan: int
    reports_submitted: int
    reports_approved: int
    targets_judged: int
    targets_met: int


@dataclass
class CountyFacts:
    """Everything a county's summary shows, read once."""

    district: District
    year: int
    profile: RuleProfile
    result: BalanceResult
    outcome: BalanceOutcome
    previous: BalanceOutcome | None
    registry: list[RegistryRow]
    registry_previous: list[RegistryRow]
    sections: dict[str, dict[str, Any]]
    areas: dict[str, Any]  # assessment area -> AreaJudgement (guarantee, quality, veto)
    survey: SurveySummary | None
    open_problems: list[Problem]
    closed_this_year: int
    plans: PlanProgress
    # The adopted 整改方案 with its schedule, when the bureau adopted one: next year's actions follow it.
    adopted: AdoptedSchedule | None = None
    stamp: str = ""


def county_facts(district: District, year: int, profile_name: str | None = None) -> CountyFacts:
    """The facts of a county's summary; NoResult when the year has no stored result."""
    profile = summary_profile(district, profile_name)
    result = result_of(district, year, profile.name) if profile is not None else None
    if profile is None or result is None:
        raise NoResult(f"{district.name} {year}—{year + 1}学年尚无资源配置计算结果,无法起草工作总结")
    previous = result_of(district, year - 1, profile.name)
    checklist = county_checklist(district, year, profile)
    survey = survey_get(district, year)
    open_problems = list(problem_list(district, state="open").order_by("deadline", "id"))
    closed = (
        Problem.objects.filter(district=district, state=Problem.State.CLOSED, closed_at__year__in=[year, year + 1])
        .only("id")
        .count()
    )
    facts = CountyFacts(
        district=district,
        year=year,
        profile=profile,
        result=result,
        outcome=result.outcome,
        previous=previous.outcome if previous is not None else None,
        registry=registry_rows(district, year),
        registry_previous=registry_rows(district, year - 1),
        sections=report_sections(district, year, profile.name),
        areas=dict(checklist.areas) if checklist is not None else {},
        survey=survey_summary(survey) if survey is not None else None,
        open_problems=open_problems,
        closed_this_year=closed,
        plans=plan_progress(district, year),
        adopted=adopted_schedule(district, year, profile.name),
    )
    facts.stamp = _stamp(
        result,
        previous,
        report_identity(district, year, profile.name),
        ",".join(f"{p.pk}:{p.updated_at.isoformat()}" for p in open_problems),
        f"adopted:{facts.adopted.adopted_at.isoformat()}:{facts.adopted.cost_yuan}" if facts.adopted else "",
    )
    return facts


def plan_progress(district: District, year: int) -> PlanProgress:
    plan = county_plan_for(district)
    board = county_plan_board(plan) if plan is not None else []
    overview = progress_overview(district, year)
    targets = plans_target_rows([entry["plan"] for entry in overview])
    judged = met = 0
    for entry in overview:
        for target in targets[entry["plan"].pk]:
            for cell in target.cells:
                if cell["year"] == year and cell["met"] is not None:
                    judged += 1
                    met += bool(cell["met"])
    reports = [e["report"] for e in overview if e["report"] is not None]
    return PlanProgress(
        plan=plan,
        board=board,
        schools_with_plan=len(overview),
        reports_submitted=sum(1 for r in reports if r.status in (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)),
        reports_approved=sum(1 for r in reports if r.status == ReviewStatus.APPROVED),
        targets_judged=judged,
        targets_met=met,
    )


def _stamp(*parts: Any) -> str:
    """The identity of the data a summary's figures come from (results, assessment, problems)."""
    text = "|".join(
        f"{p.pk}:{p.input_fingerprint}:{p.computed_at.isoformat()}" if isinstance(p, BalanceResult) else str(p)
        for p in parts
    )
    return hashlib.sha256(text.encode()).hexdigest()


# --- a school -------------------------------------------------------------------------------------


@dataclass
class SchoolFacts:
    """Everything a school's self-assessment summary shows, read once."""

    school: School
    district: District
    year: int
    profile: RuleProfile
    version: SchoolVersion | None
    outcome: BalanceOutcome
    previous: BalanceOutcome | None
    statistics: AnnualStatistics | None
    statistics_previous: AnnualStatistics | None
    plan: SchoolPlan | None
    progress: AnnualProgress | None
    targets: list[TargetRow] = field(default_factory=list)
    progress_items: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stamp: str = ""

    @property
    def name(self) -> str:
        return self.version.name if self.version else self.school.code


def plan_in_force(school: School, year: int) -> SchoolPlan | None:
    """The newest approved plan version covering the year (the one progress is reported on)."""
    plans = SchoolPlan.objects.filter(
        school=school, start_year__lte=year, end_year__gte=year, status=ReviewStatus.APPROVED
    ).order_by("-start_year", "-version")
    return plans.first()


def school_facts(school: School, year: int, profile_name: str | None = None) -> SchoolFacts:
    district = school.district
    profile = summary_profile(district, profile_name)
    result = result_of(district, year, profile.name) if profile is not None else None
    if profile is None or result is None:
        raise NoResult(f"{district.name} {year}—{year + 1}学年尚无资源配置计算结果,无法起草自评总结")
    previous = result_of(district, year - 1, profile.name)
    plan = plan_in_force(school, year)
    progress = AnnualProgress.objects.filter(plan=plan, year=year).first() if plan is not None else None
    items = (
        list(progress.items.select_related("target", "target__goal").order_by("target__goal__order", "target__order"))
        if progress is not None
        else []
    )
    facts = SchoolFacts(
        school=school,
        district=district,
        year=year,
        profile=profile,
        version=school_version(school, year),
        outcome=result.outcome,
        previous=previous.outcome if previous is not None else None,
        statistics=AnnualStatistics.objects.filter(school=school, year=year).first(),
        statistics_previous=AnnualStatistics.objects.filter(school=school, year=year - 1).first(),
        plan=plan,
        progress=progress,
        targets=plan_target_rows(plan) if plan is not None else [],
        progress_items=items,
        problems=list(problem_list(district, state="open").filter(school=school)),
    )
    facts.stamp = _stamp(
        result,
        previous,
        facts.statistics.revision if facts.statistics else "-",
        f"{progress.pk}:{progress.revision}:{progress.status}" if progress else "-",
        ",".join(f"{p.pk}:{p.updated_at.isoformat()}" for p in facts.problems),
    )
    return facts


# --- stored summaries -----------------------------------------------------------------------------


def county_summary(district: District, year: int) -> WorkSummary | None:
    return WorkSummary.objects.filter(kind=WorkSummary.Kind.COUNTY, district=district, year=year).first()


def school_summary(school: School, year: int) -> WorkSummary | None:
    return WorkSummary.objects.filter(kind=WorkSummary.Kind.SCHOOL, school=school, year=year).first()


def versions_of(summary: WorkSummary | None) -> Sequence[SummaryVersion]:
    if summary is None:
        return []
    return list(summary.versions.select_related("created_by").order_by("-number"))


def version_of(summary: WorkSummary | None, number: int | None) -> SummaryVersion | None:
    """A version by number, or the latest one; None when nothing is saved."""
    if summary is None:
        return None
    versions = summary.versions.order_by("-number")
    if number is not None:
        versions = versions.filter(number=number)
    return versions.first()
