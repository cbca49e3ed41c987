"""Reads of the multi-county overview: each county's readiness for the acceptance inspection.

A county's readiness in a year is read, never computed anew: the resource-allocation CVs, the
county verdict and the schools' compliance from the stored balance result (its
`BalanceResult.outcome`), the 政府保障程度 / 教育质量 items and the survey through the assessment
app's selectors (which judge the stored entries on every read, as the county's own pages do),
the open problems from the problem list and the inspection date from the county plan.

Access is the caller's business (core.access): these functions take districts the caller may see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count

from assessment.models import Problem
from assessment.selectors import county_checklist
from assessment.survey.selectors import survey_get, survey_summary
from indicators.models import BalanceResult, RuleProfile
from indicators.presentation import LEVEL_LABELS, short_label
from indicators.results import BalanceOutcome
from plans.selectors import county_plan_for
from schools.models import District
from summaries.selectors import summary_profile

LEVELS = ("primary", "junior")
TREND_YEARS = 5  # the trend shows at most this many school years, the latest ones
MAX_COUNTIES = 60  # a city has a few to about twenty counties; a larger scope is cut, and says so


@dataclass(frozen=True)
class CvLine:
    """One indicator's stored CV at one level against its line (labels are data, untranslated)."""

    level: str
    key: str
    label: str
    short: str
    cv: float | None
    threshold: float | None
    passes: bool | None
    near: bool

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def ratio(self) -> float | None:
        """CV ÷ its line: above 1 fails. None when either is missing."""
        if self.cv is None or not self.threshold:
            return None
        return self.cv / self.threshold


@dataclass(frozen=True)
class LevelReadiness:
    """A level's CVs and verdict, and how many of its evaluation units meet the school rule."""

    level: str
    units: int
    passes: bool | None
    cvs: tuple[CvLine, ...]
    composite: float | None
    composite_threshold: float | None
    assessed: int
    passing: int

    @property
    def label(self) -> str:
        return LEVEL_LABELS.get(self.level, self.level)

    @property
    def cv_over(self) -> int:
        return sum(1 for line in self.cvs if line.passes is False)

    @property
    def cv_judged(self) -> int:
        return sum(1 for line in self.cvs if line.passes is not None)


@dataclass(frozen=True)
class AreaCount:
    """An assessment area's items: met, not met, not yet judged, and the area's verdict."""

    met: int
    total: int
    failed: int
    unknown: int
    verdict: bool | None


@dataclass(frozen=True)
class Survey:
    rate: float | None
    threshold: float
    responses: int
    verdict: bool | None


@dataclass
class Readiness:
    """A county's readiness for the acceptance inspection in one school year."""

    district: District
    year: int
    profile_name: str
    profile_label: str
    has_result: bool = False
    verdict: bool | None = None  # resource allocation (the CVs), the stored county verdict
    preview: bool = False  # some statistics are not approved yet
    levels: tuple[LevelReadiness, ...] = ()
    guarantee: AreaCount | None = None
    quality: AreaCount | None = None
    survey: Survey | None = None
    open_problems: int = 0
    inspection_date: date | None = None
    outcome: BalanceOutcome | None = field(default=None, repr=False)

    @property
    def code(self) -> str:
        return self.district.code

    @property
    def name(self) -> str:
        return self.district.name

    @property
    def cv_over(self) -> int:
        return sum(level.cv_over for level in self.levels)

    @property
    def cv_judged(self) -> int:
        return sum(level.cv_judged for level in self.levels)

    @property
    def assessed(self) -> int:
        return sum(level.assessed for level in self.levels)

    @property
    def passing(self) -> int:
        return sum(level.passing for level in self.levels)

    @property
    def share(self) -> float | None:
        """Share of evaluation units meeting the school rule (both levels)."""
        return self.passing / self.assessed if self.assessed else None

    @property
    def worst(self) -> CvLine | None:
        """The CV furthest above (or closest to) its line."""
        lines = [line for level in self.levels for line in level.cvs if line.ratio is not None]
        return max(lines, key=lambda line: line.ratio or 0.0) if lines else None

    @property
    def failing_cvs(self) -> list[CvLine]:
        return [line for level in self.levels for line in level.cvs if line.passes is False]

    def level(self, level: str) -> LevelReadiness | None:
        return next((lv for lv in self.levels if lv.level == level), None)


@dataclass(frozen=True)
class CvMatrixRow:
    """One indicator at one level, with each county's stored CV in the order of the counties."""

    level: str  # the level's label
    label: str
    threshold: float | None
    cells: list[CvLine | None]  # None: the county has no such CV


def cv_matrix(rows: Sequence[Readiness]) -> list[CvMatrixRow]:
    """Each indicator and level as a row, each county as a column: the CVs side by side (the page,
    the workbook and the PDF all show this one matrix)."""
    entries: dict[tuple[str, str], tuple[LevelReadiness, CvLine, dict[str, CvLine]]] = {}
    for row in rows:
        for level in row.levels:
            for line in level.cvs:
                entries.setdefault((level.level, line.key), (level, line, {}))[2][row.code] = line
    return [
        CvMatrixRow(level.label, first.label, first.threshold, [cells.get(r.code) for r in rows])
        for level, first, cells in entries.values()
    ]


@dataclass(frozen=True)
class TrendPoint:
    """A county's resource-allocation readiness in one year, from the stored result only."""

    year: int
    has_result: bool
    verdict: bool | None
    cv_over: int
    cv_judged: int
    share: float | None


# --- from a stored outcome ---------------------------------------------------------------------


def level_readiness(outcome: BalanceOutcome) -> tuple[LevelReadiness, ...]:
    """Each level's CVs against their lines and its units' compliance, as stored."""
    out = []
    for name in sorted(outcome.levels, key=lambda lv: LEVELS.index(lv) if lv in LEVELS else len(LEVELS)):
        level = outcome.levels[name]
        lines = tuple(
            CvLine(
                level=name,
                key=key,
                label=ind.rule.label,
                short=short_label(ind.rule),
                cv=ind.cv,
                threshold=ind.threshold,
                passes=ind.passes,
                near=ind.near_threshold,
            )
            for key, ind in level.indicators.items()
        )
        judged = [u for u in outcome.included(name) if u.passes is not None]
        out.append(
            LevelReadiness(
                level=name,
                units=level.units,
                passes=level.passes,
                cvs=lines,
                composite=level.composite,
                composite_threshold=level.composite_threshold,
                assessed=len(judged),
                passing=sum(1 for u in judged if u.passes),
            )
        )
    return tuple(out)


def trend_point(year: int, outcome: BalanceOutcome | None) -> TrendPoint:
    if outcome is None:
        return TrendPoint(year, False, None, 0, 0, None)
    levels = level_readiness(outcome)
    assessed = sum(lv.assessed for lv in levels)
    passing = sum(lv.passing for lv in levels)
    return TrendPoint(
        year=year,
        has_result=True,
        verdict=outcome.passes,
        cv_over=sum(lv.cv_over for lv in levels),
        cv_judged=sum(lv.cv_judged for lv in levels),
        share=passing / assessed if assessed else None,
    )


# --- reads ---------------------------------------------------------------------------------------


def profile_for(district: District, profile_name: str | None) -> RuleProfile | None:
    """The profile a county is compared under: the same choice as its work summary's
    (summaries.selectors.summary_profile), so both show the same figures."""
    return summary_profile(district, profile_name)


def results_of(districts: Sequence[District], years: Iterable[int] | None = None) -> dict[tuple[int, str, int], Any]:
    """Current stored results by (district id, profile name, year), in one query."""
    results = BalanceResult.objects.filter(district__in=districts, is_current=True).select_related("profile_version")
    if years is not None:
        results = results.filter(year__in=list(years))
    return {(r.district_id, r.profile_name, r.year): r for r in results}


def result_years(districts: Sequence[District]) -> list[int]:
    """School years with a stored result for any of the districts, newest first."""
    years = BalanceResult.objects.filter(district__in=districts, is_current=True).values_list("year", flat=True)
    return sorted(set(years), reverse=True)


def open_problem_counts(districts: Sequence[District]) -> dict[int, int]:
    rows = (
        Problem.objects.filter(district__in=districts)
        .exclude(state=Problem.State.CLOSED)
        .values("district_id")
        .annotate(n=Count("id"))
        .values_list("district_id", "n")
    )
    return dict(rows)


def _area(checklist: Any, area: str) -> AreaCount | None:
    if checklist is None or area not in checklist.areas:
        return None
    judged = checklist.areas[area]
    return AreaCount(judged.met, judged.total, judged.failed, judged.unknown, judged.verdict)


def readiness(
    district: District,
    year: int,
    profile: RuleProfile | None,
    result: BalanceResult | None,
    *,
    open_problems: int | None = None,
) -> Readiness:
    """One county-year: the stored result's figures and the assessment app's judgements."""
    row = Readiness(
        district=district,
        year=year,
        profile_name=profile.name if profile else "",
        profile_label=profile.label if profile else "",
    )
    if result is not None:
        outcome = result.outcome
        row.has_result = True
        row.outcome = outcome
        row.verdict = outcome.passes
        row.preview = result.units_approved < result.units_total
        row.levels = level_readiness(outcome)
        row.profile_label = outcome.profile.label or row.profile_label
    if profile is not None:
        checklist = county_checklist(district, year, profile)
        row.guarantee = _area(checklist, "guarantee")
        row.quality = _area(checklist, "quality")
    survey = survey_get(district, year)
    if survey is not None:
        summary = survey_summary(survey)
        row.survey = Survey(summary.rate, float(survey.threshold), summary.responses, summary.verdict)
    if open_problems is None:
        open_problems = Problem.objects.filter(district=district).exclude(state=Problem.State.CLOSED).count()
    row.open_problems = open_problems
    plan = county_plan_for(district)
    row.inspection_date = plan.inspection_date if plan is not None else None
    return row


@dataclass
class Overview:
    """Every county of the user's scope side by side in one year, with the trend over years."""

    year: int | None
    years: list[int]
    rows: list[Readiness]
    trend_years: list[int]
    trends: dict[str, list[TrendPoint]]  # district code -> points in trend_years order
    cut: int  # counties left out above MAX_COUNTIES
    profile_name: str | None


def overview(districts: Sequence[District], *, year: int | None, profile_name: str | None) -> Overview:
    """The overview of `districts` (already the caller's scope) for `year` (default: the newest
    year with a stored result), each under `profile_name` when it uses it, else its own."""
    counties = list(districts[: MAX_COUNTIES + 1])
    cut = max(0, len(districts) - MAX_COUNTIES) if len(counties) > MAX_COUNTIES else 0
    counties = counties[:MAX_COUNTIES]
    years = result_years(counties)
    chosen = year if year is not None else (years[0] if years else None)
    trend_years = sorted(years[:TREND_YEARS])  # the newest ones
    results = results_of(counties, {*trend_years, *([chosen] if chosen is not None else [])})
    problems = open_problem_counts(counties)
    rows: list[Readiness] = []
    trends: dict[str, list[TrendPoint]] = {}
    for district in counties:
        profile = profile_for(district, profile_name)
        name = profile.name if profile else ""
        if chosen is not None:
            rows.append(
                readiness(
                    district,
                    chosen,
                    profile,
                    results.get((district.pk, name, chosen)),
                    open_problems=problems.get(district.pk, 0),
                )
            )
        points = []
        for y in trend_years:
            result = results.get((district.pk, name, y))
            points.append(trend_point(y, result.outcome if result is not None else None))
        trends[district.code] = points
    return Overview(chosen, years, rows, trend_years, trends, cut, profile_name)


def district_years(district: District, profile: RuleProfile | None) -> list[Readiness]:
    """A county's readiness in every year it has a stored result (oldest first), for its page."""
    name = profile.name if profile else ""
    results = results_of([district])
    years = sorted({y for (_d, p, y) in results if p == name})[-TREND_YEARS:]
    problems = open_problem_counts([district]).get(district.pk, 0)
    return [readiness(district, y, profile, results.get((district.pk, name, y)), open_problems=problems) for y in years]


# --- sorting -------------------------------------------------------------------------------------


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


VERDICT_ORDER = {False: 0, None: 1, True: 2}
SORT_KEYS: dict[str, Callable[[Readiness], Any]] = {
    "code": lambda r: r.code,
    "name": lambda r: r.name,
    "verdict": lambda r: VERDICT_ORDER[r.verdict],
    "cv_over": lambda r: r.cv_over,
    "worst": lambda r: _none_last(r.worst.ratio if r.worst else None),
    "share": lambda r: _none_last(r.share),
    "guarantee": lambda r: _none_last(
        r.guarantee.met / r.guarantee.total if r.guarantee and r.guarantee.total else None
    ),
    "quality": lambda r: _none_last(r.quality.met / r.quality.total if r.quality and r.quality.total else None),
    "survey": lambda r: _none_last(r.survey.rate if r.survey else None),
    "problems": lambda r: r.open_problems,
    "inspection": lambda r: _none_last(r.inspection_date),
}


def sort_rows(rows: list[Readiness], key: str, descending: bool) -> list[Readiness]:
    """Rows sorted by one column (an unknown key sorts by code); missing values stay last."""
    getter = SORT_KEYS.get(key, SORT_KEYS["code"])
    present = [r for r in rows if not _missing(getter(r))]
    missing = [r for r in rows if _missing(getter(r))]
    present.sort(key=lambda r: (getter(r), r.code), reverse=descending)
    return present + sorted(missing, key=lambda r: r.code)


def _missing(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and value[0] is True
