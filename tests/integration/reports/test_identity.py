"""The report fingerprint (reports.selectors.report_identity) changes with every kind of data a
report shows, and only with that: a stored report is reused exactly while it is still true."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import ChecklistVersion, ItemEntry, Problem, Survey, SurveyResponse
from core.identity import Part, identity_rows
from indicators.models import BalanceState
from indicators.services import balance_recompute
from plans.models import (
    AnnualProgress,
    CountyFigure,
    CountyPlan,
    CountyTarget,
    PlanArea,
    PlanGoal,
    PlanTarget,
    ProgressItem,
    SchoolPlan,
)
from reports import selectors
from reports.identity import data_identity, stored_identity
from schools import services as school_services
from schools.models import AnnualStatistics, District, School, SchoolVersion, StatisticsEvent
from tests.factories import make_district
from tests.integration.reports.conftest import DEMO_YEAR

PROFILE = "quality-2017"


def county_identity(district: District) -> str:
    return selectors.report_identity(
        kind="county", fmt="pdf", district=district, school=None, year=DEMO_YEAR, profile_name=PROFILE
    )


def school_identity(district: District, school: School) -> str:
    return selectors.report_identity(
        kind="school", fmt="pdf", district=district, school=school, year=DEMO_YEAR, profile_name=PROFILE
    )


def _save(instance: object, **fields: object) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()  # type: ignore[attr-defined]


def _new_checklist_version() -> None:
    latest = ChecklistVersion.objects.filter(profile__name=PROFILE).order_by("-version").first()
    assert latest is not None, "the default profile has a checklist"
    latest.pk = None
    latest.version += 1
    latest.save()


def _approve_again(d: District) -> None:
    event = StatisticsEvent.objects.filter(statistics__school__district=d, statistics__year=DEMO_YEAR).first()
    assert event is not None, "the demo has approved statistics"
    event.pk = None
    event.save()


def _county_plan(d: District) -> CountyPlan:
    return CountyPlan.objects.filter(district=d).first() or pytest.fail("the demo has a county plan")


CHANGES: dict[str, Callable[[District], object]] = {
    "statistics edited": lambda d: _save(AnnualStatistics.objects.filter(school__district=d, year=DEMO_YEAR).first()),
    "result marked stale": lambda d: BalanceState.objects.update_or_create(
        district=d, year=DEMO_YEAR, defaults={"stale": True}
    ),
    "district renamed": lambda d: _save(d, name=d.name + "(新)"),
    "plan status": lambda d: SchoolPlan.objects.filter(school__district=d).update(status="returned"),
    "plan goal title": lambda d: PlanGoal.objects.filter(plan__school__district=d).update(title="新的目标"),
    "plan target values": lambda d: PlanTarget.objects.filter(goal__plan__school__district=d).update(
        values={"2026": 1}
    ),
    "progress item actual": lambda d: ProgressItem.objects.filter(progress__plan__school__district=d).update(
        actual=Decimal("1.2345")
    ),
    "progress status": lambda d: AnnualProgress.objects.filter(plan__school__district=d).update(status="returned"),
    "county plan inspection date": lambda d: CountyPlan.objects.filter(district=d).update(
        inspection_date=date(2027, 5, 1)
    ),
    "county target indicator": lambda d: CountyTarget.objects.filter(plan=_county_plan(d)).update(indicator="x"),
    "county figure value": lambda d: CountyFigure.objects.filter(district=d).update(value=Decimal("12.5")),
    "assessment entry": lambda d: _save(ItemEntry.objects.filter(district=d, year=DEMO_YEAR).first()),
    "problem": lambda d: _save(Problem.objects.filter(district=d, year=DEMO_YEAR).first()),
    "survey threshold": lambda d: Survey.objects.filter(district=d, year=DEMO_YEAR).update(threshold=Decimal("0.9")),
    "survey response removed": lambda d: SurveyResponse.objects.filter(
        pk=SurveyResponse.objects.filter(survey__district=d).values("pk")[:1]
    ).delete(),
    # Balance results are written by the engine with COPY, not through the ORM.
    "result recomputed": lambda d: balance_recompute(districts=[d], year=DEMO_YEAR, force=True),
    "school version edited": lambda d: SchoolVersion.objects.filter(school__district=d).update(name="改名"),
    "school added": lambda d: School.objects.create(district=d, code="1301889999"),
    "statistics event recorded": lambda d: _approve_again(d),
    "checklist version added": lambda d: _new_checklist_version(),
    "plan area renamed": lambda d: PlanArea.objects.filter(pk=PlanArea.objects.values("pk")[:1]).update(name="新领域"),
    "progress item removed": lambda d: ProgressItem.objects.filter(
        pk=ProgressItem.objects.filter(progress__plan__school__district=d).values("pk")[:1]
    ).delete(),
}

# The data part alone, through each of its two ways (stored versions on PostgreSQL, the rows
# hashed elsewhere): assessment data and the district's own row are read apart from it.
# (the hashed-rows way leaves these to the district row and the assessment app's own identity)
APART = (
    "district renamed",
    "assessment entry",
    "problem",
    "survey threshold",
    "survey response removed",
    "checklist version added",
)
DATA_CHANGES = [c for c in CHANGES if c not in APART]


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_kind_of_change_a_report_shows_gives_a_new_fingerprint(demo: District, change: str) -> None:
    before = county_identity(demo)
    CHANGES[change](demo)
    demo.refresh_from_db()
    assert county_identity(demo) != before


@pytest.mark.parametrize("way", ["stored", "hashed rows"])
@pytest.mark.parametrize("change", DATA_CHANGES, ids=DATA_CHANGES)
def test_both_ways_to_the_data_identity_see_every_change(demo: District, change: str, way: str) -> None:
    def identity() -> str:
        if way == "stored":
            return stored_identity("county", demo, None, DEMO_YEAR)
        return data_identity("county", demo, None, DEMO_YEAR, PROFILE)

    before = identity()
    CHANGES[change](demo)
    assert identity() != before


def test_a_recompute_with_unchanged_inputs_keeps_the_fingerprint(demo: District) -> None:
    # The engine keeps unchanged results and only stamps its timestamps on the state row.
    balance_recompute(districts=[demo], year=DEMO_YEAR)
    before = county_identity(demo)
    balance_recompute(districts=[demo], year=DEMO_YEAR)
    assert county_identity(demo) == before


def test_stored_versions_follow_a_school_and_its_year_only(demo: District) -> None:
    mine, neighbour = list(School.objects.filter(district=demo).order_by("code")[:2])
    school_before = stored_identity("school", demo, mine, DEMO_YEAR)
    county_before = stored_identity("county", demo, None, DEMO_YEAR)
    _save(AnnualStatistics.objects.get(school=neighbour, year=DEMO_YEAR))
    assert stored_identity("school", demo, mine, DEMO_YEAR) == school_before
    assert stored_identity("county", demo, None, DEMO_YEAR) != county_before
    county_before = stored_identity("county", demo, None, DEMO_YEAR)
    _save(AnnualStatistics.objects.get(school=mine, year=DEMO_YEAR - 1))  # the school report shows its history
    assert stored_identity("school", demo, mine, DEMO_YEAR) != school_before
    assert stored_identity("county", demo, None, DEMO_YEAR) == county_before


def test_a_second_change_of_a_school_in_the_same_year_gives_a_new_fingerprint(demo: District) -> None:
    school = School.objects.filter(district=demo).order_by("code").first()
    assert school is not None
    school_services.school_change(school=school, year=DEMO_YEAR, name="更名一次")  # a new version row
    before = county_identity(demo)
    # The version that starts this year is now updated in place: same row count, same ids.
    school_services.school_change(school=school, year=DEMO_YEAR, name="再次更名")
    assert county_identity(demo) != before


def test_the_fingerprint_is_stable_and_ignores_other_districts_and_years(demo: District) -> None:
    before = county_identity(demo)
    assert county_identity(demo) == before
    other = make_district("990001", "别的县")
    CountyFigure.objects.create(district=other, year=DEMO_YEAR, kind="dropout_rate", value=Decimal("1"))
    earlier = AnnualStatistics.objects.filter(school__district=demo, year=DEMO_YEAR - 1).first()
    assert earlier is not None
    _save(earlier)  # the county report shows this year only
    assert county_identity(demo) == before


def test_a_school_report_follows_its_own_school_only(demo: District) -> None:
    schools = list(School.objects.filter(district=demo).order_by("code")[:2])
    mine, neighbour = schools
    before = school_identity(demo, mine)
    _save(AnnualStatistics.objects.get(school=neighbour, year=DEMO_YEAR))
    assert school_identity(demo, mine) == before
    _save(AnnualStatistics.objects.get(school=mine, year=DEMO_YEAR))
    assert school_identity(demo, mine) != before


def test_the_fingerprint_reads_the_data_in_a_few_queries(demo: District) -> None:
    county_identity(demo)  # the template digest is read once per process
    with CaptureQueriesContext(connection) as queries:
        county_identity(demo)
    # One statement for balance, schools and plans, one for the assessment data, and the lookups
    # of the profile and its checklist.
    assert len(queries.captured_queries) <= 5


def test_identity_rows_keep_nulls_apart_from_empty_text_and_sort_rows(demo: District) -> None:
    rows = identity_rows(
        {
            "b_school": Part("schools_school", ["code", "NULL"], "district_id = %s", [demo.pk]),
            "a_empty": Part("schools_school", ["''"], "id = %s", [School.objects.filter(district=demo).first().pk]),
        }
    )
    assert rows[0] == ("a_empty", "", None)
    codes = [str(r[1]) for r in rows[1:]]
    assert codes == sorted(codes) and all(r[0] == "b_school" and r[2] is None for r in rows[1:])
    with pytest.raises(ValueError, match="identifiers"):
        identity_rows({"bad name'": Part("schools_school", ["id"], "1 = 1")})
